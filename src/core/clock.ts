/** Source of the current time in milliseconds since the epoch; injectable so TTL logic is testable. */
export interface Clock {
  now(): number;
}

/** The real clock (`Date.now`). */
export const systemClock: Clock = { now: () => Date.now() };

/** Runs `reset` after `ms` milliseconds without keeping the process alive. */
export type UnrefTimer = (reset: () => void, ms: number) => void;

/** Calls that may reuse one clock read before it is read again, whatever the timer says. */
const MAX_REUSE = 256;

/**
 * `Date.now()` read at most once per millisecond: a read is reused until a 1 ms timer (made with
 * `schedule`, one pending at a time) clears it, and for at most 256 calls, so a synchronous loop
 * that never lets the timer run still sees time move. A clock read costs more than a whole
 * memory hit on some VMs, and every hit reads the clock to check expiry; the server runtimes
 * (Node, Bun, Deno) use this as the cache's clock, with an unref'd timer. Expiries are then set
 * and checked up to about a millisecond off (never ahead of real time), like `lru-cache`'s
 * `ttlResolution`.
 */
export function coarseClock(schedule: UnrefTimer): Clock {
  let cached = 0;
  let left = 0;
  let pending = false;
  const reset = (): void => {
    pending = false;
    left = 0;
  };
  return {
    now(): number {
      if (left > 0) {
        left--;
        return cached;
      }
      cached = Date.now();
      left = MAX_REUSE;
      if (!pending) {
        pending = true;
        schedule(reset, 1);
      }
      return cached;
    },
  };
}
