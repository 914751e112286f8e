// Lua scripts shared by the Redis backends (TCP and REST): each runs atomically on the server,
// which is what makes counters, locks and sliding windows safe across processes.

/** INCRBY that applies a TTL (ARGV[2], ms, 0 = none) only when it creates the key. */
export const INCR_WITH_TTL = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

/** Deletes KEYS[1] only when it holds ARGV[1]; returns 1 when deleted. */
export const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** True when a Redis error reply means "the stored value is not an integer". */
export function isNotIntegerError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not an integer|out of range/i.test(message);
}

/** GET and PTTL of KEYS[1] in one atomic step: `{value, pttl}`, or nil when the key is missing. */
export const GET_WITH_PTTL = `
local value = redis.call('GET', KEYS[1])
if not value then return nil end
return {value, redis.call('PTTL', KEYS[1])}`;

/** `text` with the Redis glob metacharacters (`*`, `?`, `[`, `]`, `\\`) escaped, so it matches itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
