// The Lua scripts of tag indexes, shared by the Redis backends (TCP and REST): an index is a
// Redis set of the keys (without prefix) that carry one tag; each script runs atomically on the
// server, so writers and invalidations in several processes never leave a tagged key unlisted.
import { pxMs } from "./redis-lua";

// Each addition to a set index first checks a sample of its members, 4 per member added plus 8,
// and drops those whose key is gone (deleted, expired, evicted). The sample is random, so a dead
// member is found with probability sample/size per addition: a set of L live keys with a churn
// of m new keys per addition levels off near L / (1 - m / sample), under 1.5 L, where nothing
// was dropped before. The work is bounded by what is added, and a live key is never dropped
// (EXISTS is read in the same atomic step, after the write of the key being indexed).
const PRUNE_PER_MEMBER = 4;
const PRUNE_BASE = 8;

/**
 * Lua: `join(index, prefix, ttl, members)` adds the array `members` (keys without `prefix`)
 * to the set `index` after pruning it as above; a value of another type is replaced. `ttl`
 * (text, ms, "0" = none): without one the set stops expiring; with one it lives at least that
 * long, except that a set already without expiry keeps none. SADD goes in chunks (Lua's unpack
 * has a stack limit).
 */
const JOIN = `
local function join(index, prefix, ttl, members)
  local kind = redis.call('TYPE', index)['ok']
  if kind ~= 'set' and kind ~= 'none' then redis.call('DEL', index) end
  local gone = {}
  local sample = ${PRUNE_PER_MEMBER} * #members + ${PRUNE_BASE}
  for _, member in ipairs(redis.call('SRANDMEMBER', index, sample)) do
    if redis.call('EXISTS', prefix .. member) == 0 then gone[#gone + 1] = member end
  end
  for first = 1, #gone, 500 do
    redis.call('SREM', index, unpack(gone, first, math.min(first + 499, #gone)))
  end
  local left = redis.call('PTTL', index)
  for first = 1, #members, 500 do
    redis.call('SADD', index, unpack(members, first, math.min(first + 499, #members)))
  end
  local ms = tonumber(ttl)
  if ms <= 0 then
    redis.call('PERSIST', index)
  elseif left == -2 or (left >= 0 and left < ms) then
    redis.call('PEXPIRE', index, ttl)
  end
end`;

/**
 * Adds ARGV[3..] to the set index KEYS[1] with `join`: ARGV[1] is the TTL in ms (0 = none),
 * ARGV[2] the key prefix its members' keys carry on this server.
 */
export const ADD_MEMBERS = `${JOIN}
local members = {}
for i = 3, #ARGV do members[#members + 1] = ARGV[i] end
join(KEYS[1], ARGV[2], ARGV[1], members)
return 1`;

/** SREM of ARGV from the set KEYS[1] in chunks; returns how many were members (0 for another type). */
export const REMOVE_MEMBERS = `
local key = KEYS[1]
if redis.call('TYPE', key)['ok'] ~= 'set' then return 0 end
local removed = 0
for first = 1, #ARGV, 500 do
  removed = removed + redis.call('SREM', key, unpack(ARGV, first, math.min(first + 499, #ARGV)))
end
return removed`;

/** SMEMBERS of KEYS[1], `{}` when it is missing or holds another type. */
export const MEMBERS = `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'set' then return {} end
return redis.call('SMEMBERS', KEYS[1])`;

/**
 * Tag invalidation in one atomic step: for each member of the set KEYS[1], deletes the string
 * ARGV[1] .. member (the namespace, then the key) when its record header (`@` + JSON + newline,
 * see core/envelope) lists the tag ARGV[2], then deletes the set. Keys are built from the set
 * because they are only known on the server. Returns {deleted members, members with no key}; a
 * member holding another type or a record without the tag is left alone.
 */
export const INVALIDATE_TAG = `
local index = KEYS[1]
if redis.call('TYPE', index)['ok'] ~= 'set' then return {{}, {}} end
local deleted, absent = {}, {}
for _, member in ipairs(redis.call('SMEMBERS', index)) do
  local key = ARGV[1] .. member
  local value = redis.pcall('GET', key)
  if value == false then
    absent[#absent + 1] = member
  elseif type(value) == 'string' and string.byte(value, 1) == 64 then
    local stop = string.find(value, '\\n', 2, true)
    local ok, header = false, nil
    if stop then ok, header = pcall(cjson.decode, string.sub(value, 2, stop - 1)) end
    if ok and type(header) == 'table' and type(header.t) == 'table' then
      for _, tag in ipairs(header.t) do
        if tag == ARGV[2] then
          redis.call('DEL', key)
          deleted[#deleted + 1] = member
          break
        end
      end
    end
  end
end
redis.call('DEL', index)
return {deleted, absent}`;

/**
 * A tagged write in one atomic step: SET KEYS[1] ARGV[1] (PX ARGV[2] unless 0, then ARGV[3]: "",
 * "NX" or "XX"); when it stored, ARGV[4] (the key without the namespace ARGV[6]) joins each set
 * index KEYS[2..] as `ADD_MEMBERS` adds it (ARGV[5]: TTL in ms, 0 = none). Returns 1 when stored, else 0.
 */
export const SET_INDEXED = `${JOIN}
local set = {'SET', KEYS[1], ARGV[1]}
if tonumber(ARGV[2]) > 0 then set[#set + 1] = 'PX'; set[#set + 1] = ARGV[2] end
if ARGV[3] ~= '' then set[#set + 1] = ARGV[3] end
if not redis.call(unpack(set)) then return 0 end
for i = 2, #KEYS do join(KEYS[i], ARGV[6], ARGV[5], {ARGV[4]}) end
return 1`;

/** The reply of `INVALIDATE_TAG` as deleted and absent member lists. */
export function tagInvalidation(reply: unknown): { deleted: string[]; absent: string[] } {
  const [deleted, absent] = Array.isArray(reply) ? reply : [];
  const list = (part: unknown) => (Array.isArray(part) ? part.map(String) : []);
  return { deleted: list(deleted), absent: list(absent) };
}

/** ARGV of `ADD_MEMBERS`: the TTL in whole ms (0 = none), the prefix of the members' keys, then the members. */
export function addMembersArgs(
  prefix: string,
  members: readonly string[],
  ttl: number | undefined,
): string[] {
  const ms = ttl === undefined ? 0 : pxMs(ttl);
  return [String(ms), prefix, ...members];
}
