// The locks of the `locked` and `serializable` modes: cache locks under the internal prefix,
// polled until the transaction's `timeout`.
import type { CacheCore } from "../core/cache";
import { errorMessage, LockedError } from "../core/errors";
import { INTERNAL_PREFIX } from "../core/keys";
import { releaseReporting, sleep } from "../core/locks";

const LOCK_TTL_MS = 60_000;
const STEP_MS = 10;

/**
 * The lock `serializable` transactions take in turn: outside `txlock:`, so no key's lock is it
 * (a key may well be named `*serializable*`); with no `:` past the prefix, it is routed as it is
 * (see `Router.route`), so to the default backend.
 */
export const SERIALIZABLE_LOCK = `${INTERNAL_PREFIX}txserializable`;

/** The lock a `locked` transaction holds on `key` until it ends. */
export function lockKey(key: string): string {
  return `${INTERNAL_PREFIX}txlock:${key}`;
}

/** Takes a lock, polling until `timeoutMs`; throws `LockedError` after that. */
export async function acquire(
  cache: CacheCore,
  key: string,
  token: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // In the transaction's own scope (`setLock` never consults it): a scope entered here would, in
  // the browser's context fallback, be the one the commands issued alongside this one run in.
  while (!(await cache.setLock(key, token, Math.max(LOCK_TTL_MS, timeoutMs)))) {
    if (Date.now() >= deadline) {
      throw new LockedError(
        errorMessage(
          "transaction",
          `could not lock "${key}" within ${timeoutMs} ms`,
          "retry, or raise the transaction `timeout`",
        ),
      );
    }
    await sleep(STEP_MS);
  }
}

/**
 * Gives a transaction's lock back. A failure is reported (`onError`, or the once-a-minute
 * warning), not thrown: the writes the lock guarded have settled by then, so throwing would hide
 * the caller's own error or make a committed transaction look failed (and a retry apply its
 * writes twice). The lock then ends with its TTL.
 */
export function release(cache: CacheCore, key: string, token: string): Promise<void> {
  return releaseReporting(cache.routeFor(key), key, cache.unlock(key, token));
}
