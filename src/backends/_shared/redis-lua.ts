// Lua scripts shared by the Redis backends (TCP and REST): each runs atomically on the server,
// which is what makes counters, locks and sliding windows safe across processes. The scripts of
// tag indexes are in `redis-lua-tags.ts`.
import { CacheArgumentError, CacheValueError, errorMessage } from "../../core/errors";
import type { SlidingWindowHit, ValueWithExpire } from "../../core/types";

/**
 * INCRBY that applies a TTL (ARGV[2], ms, 0 = none) only when it creates the key, and refuses a
 * sum outside the safe integer range (±(2^53 - 1)), where a JavaScript number cannot tell n from
 * n + 1. A stored count inside the range is checked before anything is written (a double holds
 * it and ARGV[1], a safe integer (`incrArgs`), exactly, and a sum past the range rounds to a
 * double past it too), so a refusal writes nothing: no WATCH breaks and no tracking client drops
 * its copy. A count already outside the range (written by someone else) is added exactly by
 * INCRBY and, when the sum is still outside, undone in the same atomic step (DEL of the key it
 * created, else DECRBY, which keeps the TTL). Redis's own 64-bit overflow is refused too.
 * Returns the count as text (node-redis decodes integer replies near 2^53 with a rounding error,
 * and Lua prints numbers with 14 digits), or nil when refused.
 */
export const INCR_WITH_TTL = `
local key = KEYS[1]
local current = redis.pcall('GET', key)
if type(current) == 'table' then return current end
if current and string.find(current, '^-?%d+$') then
  local n = tonumber(current)
  if n <= 9007199254740991 and n >= -9007199254740991 then
    local sum = n + tonumber(ARGV[1])
    if sum > 9007199254740991 or sum < -9007199254740991 then return false end
  end
end
local value = redis.pcall('INCRBY', key, ARGV[1])
if type(value) == 'table' then
  if value.err and string.find(value.err, 'overflow', 1, true) then return false end
  return value
end
if value > 9007199254740991 or value < -9007199254740991 then
  if not current then redis.call('DEL', key) else redis.call('DECRBY', key, ARGV[1]) end
  return false
end
if not current and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', key, ARGV[2]) end
return redis.call('GET', key)`;

/**
 * ARGV of `INCR_WITH_TTL`: the amount, then the TTL in whole ms (0 = none). An amount that is not
 * a safe integer is refused with `CacheArgumentError`, as the memory backend refuses it.
 */
export function incrArgs(backend: string, key: string, by: number, ttlMs: number): string[] {
  if (!Number.isSafeInteger(by)) {
    throw new CacheArgumentError(
      errorMessage(backend, `incr("${key}") by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
    );
  }
  return [String(by), String(ttlMs)];
}

/** The count `INCR_WITH_TTL` answered; its nil (a refused sum) throws `incrOutOfRange`. */
export function incrCount(backend: string, key: string, reply: unknown): number {
  if (reply === null || reply === undefined) throw incrOutOfRange(backend, key);
  return Number(reply);
}

/** The `CacheValueError` for an `incr` whose sum would leave the safe integer range. */
export function incrOutOfRange(backend: string, key: string): CacheValueError {
  return new CacheValueError(
    errorMessage(
      backend,
      `incr("${key}") would leave the safe integer range (±${Number.MAX_SAFE_INTEGER}), where increments are lost`,
      "keep counters within Number.MAX_SAFE_INTEGER (the value was left unchanged)",
    ),
  );
}

/** The `CacheValueError` for a failed `INCR_WITH_TTL` whose stored value is not an integer; else `undefined`. */
export function incrNotInteger(backend: string, key: string, error: unknown): CacheValueError | undefined {
  if (!isNotIntegerError(error)) return undefined;
  return new CacheValueError(
    errorMessage(
      backend,
      `incr("${key}") found a value that is not an integer`,
      "delete the key or use another one for the counter (the value was left unchanged)",
    ),
    { cause: error },
  );
}

/** Deletes KEYS[1] only when it holds ARGV[1]; returns 1 when deleted. */
export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * For \`lock: true\`: when KEYS[2] (the value) exists, returns \`{value, pttl}\` and takes nothing;
 * else SET KEYS[1] ARGV[1] PX ARGV[2] NX, returning 1 when that took the lock and 0 when it is
 * held. One atomic step, so a holder that stored and released in between is always seen.
 */
export const LOCK_UNLESS_STORED = `
local value = redis.call('GET', KEYS[2])
if value then return {value, redis.call('PTTL', KEYS[2])} end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return 0`;

/** A TTL as Redis's PX wants it: whole milliseconds, at least 1. */
export function pxMs(ttl: number): number {
  return Math.max(1, Math.ceil(ttl));
}

/** ARGV of `LOCK_UNLESS_STORED`: the lock token, then its TTL in whole ms. */
export function lockUnlessStoredArgs(token: string, ttl: number): string[] {
  return [token, String(pxMs(ttl))];
}

/** The reply of \`LOCK_UNLESS_STORED\`: the stored value with its TTL, or whether the lock was taken. */
export function lockUnlessStoredReply(reply: unknown): ValueWithExpire | boolean {
  if (!Array.isArray(reply)) return Number(reply) === 1;
  return { value: String(reply[0]), ttl: Number(reply[1]) };
}

/** True when a Redis error reply means "the stored value is not an integer". */
function isNotIntegerError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not an integer|out of range/i.test(message);
}

/** GET and PTTL of KEYS[1] in one atomic step: `{value, pttl}`, or nil when the key is missing. */
export const GET_WITH_PTTL = `
local value = redis.call('GET', KEYS[1])
if not value then return nil end
return {value, redis.call('PTTL', KEYS[1])}`;

/**
 * Compare-and-set: when KEYS[1] holds exactly ARGV[1], SET it to ARGV[2] and return 1, else 0.
 * ARGV[3] is the TTL in ms; 0 keeps the TTL the key had (read with PTTL, so no Redis 6 KEEPTTL).
 */
export const REPLACE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local left = redis.call('PTTL', KEYS[1])
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
elseif left > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', left)
else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;

/** ARGV of `REPLACE`: the expected and the new value, then the TTL in whole ms (0: keep the key's). */
export function replaceArgs(expected: string, value: string, ttl: number | undefined): string[] {
  return [expected, value, ttl === undefined ? "0" : String(pxMs(ttl))];
}

/** `text` with the Redis glob metacharacters (`*`, `?`, `[`, `]`, `\\`) escaped, so it matches itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

/**
 * Sliding window over the sorted set KEYS[1] (score: call time in ms). ARGV: now, now - window
 * (times at or before it leave), limit, a member unique to this call, window in whole ms. Records
 * the call when fewer than `limit` remain and keeps the set `window` ms past it. Bounds come as
 * text from the client, since Lua would print large numbers with 14 digits. A value of another
 * type (a list record an emulating process wrote) is replaced. Returns {admitted 0/1, count,
 * oldest score as text}.
 */
export const SLIDE_WINDOW = `
local key = KEYS[1]
local kind = redis.call('TYPE', key)['ok']
if kind ~= 'zset' and kind ~= 'none' then redis.call('DEL', key) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local count = redis.call('ZCARD', key)
local admitted = 0
if count < tonumber(ARGV[3]) then
  redis.call('ZADD', key, ARGV[1], ARGV[4])
  redis.call('PEXPIRE', key, ARGV[5])
  count = count + 1
  admitted = 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or ARGV[1]
return {admitted, count, oldest}`;

// Members of a window must differ even for calls in the same millisecond from several processes.
const CALLER = Math.random().toString(36).slice(2, 10);
let calls = 0;

/** ARGV of `SLIDE_WINDOW` for one call at `nowMs`. */
export function slideWindowArgs(nowMs: number, windowMs: number, limit: number): string[] {
  calls = (calls + 1) % Number.MAX_SAFE_INTEGER;
  return [
    String(nowMs),
    String(nowMs - windowMs),
    String(limit),
    `${nowMs}:${CALLER}:${calls}`,
    String(pxMs(windowMs)),
  ];
}

/** The reply of `SLIDE_WINDOW` as a `SlidingWindowHit`. */
export function slideWindowHit(reply: unknown): SlidingWindowHit {
  const [admitted, count, oldest] = Array.isArray(reply) ? reply : [];
  return { allowed: Number(admitted) === 1, count: Number(count), oldestMs: Number(oldest) };
}

const scriptShas = new Map<string, Promise<string>>();
/** The SHA-1 of each script whose digest has been computed, for calls that must not wait for it. */
const digested = new Map<string, string>();

/** SHA-1 of a Lua script in hex, for EVALSHA; Web Crypto keeps the backend free of `node:crypto`. */
export function scriptSha(script: string): Promise<string> {
  let sha = scriptShas.get(script);
  if (sha === undefined) {
    sha = crypto.subtle
      .digest("SHA-1", new TextEncoder().encode(script))
      .then((digest) =>
        Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join(""),
      )
      .then((hex) => {
        digested.set(script, hex);
        return hex;
      });
    scriptShas.set(script, sha);
  }
  return sha;
}

/** The SHA-1 of `script` once `scriptSha` has computed it, for calls that must not wait for it. */
export function digestedSha(script: string): string | undefined {
  return digested.get(script);
}
