// Locks on a backend that expires nothing (`nativeTtl: false`): handed to it as they are, a lock's
// TTL would be dropped and a crashed holder would keep it forever. Here the lock is a record like
// any other, the token under a header with its expiry, and each command on it reads the record
// first, as one step of the key's turns (`Route.step`), so it is atomic within this cache; across
// processes it is as atomic as the backend's `set` with `exist: false`.
import type { Clock } from "./clock";
import { joinRecord, splitRecord } from "./envelope";
import { isLive } from "./records";
import type { Route } from "./route";
import { authorityOf } from "./tiers";

/** Takes the lock `key` for `ms` milliseconds unless a live one holds it; `failed` when suppressed. */
export function takeInRecord<F>(
  route: Route,
  clock: Clock,
  key: string,
  token: string,
  ms: number,
  failed: F,
): Promise<boolean | F> {
  return route.step("setLock", key, (call) =>
    call<boolean | F>("setLock", failed, async (backend) => {
      const text = await authorityOf(backend).get(key);
      if (isLive(text, clock)) return false;
      // The record of a lock whose TTL has ended is still there: a set-if-absent needs it gone.
      if (text !== undefined) await backend.delete(key);
      const record = joinRecord({ e: clock.now() + ms }, token);
      return backend.set(key, record, { exist: false });
    }),
  );
}

/** Releases the lock `key` when it is live and holds `token`. */
export function releaseInRecord(route: Route, clock: Clock, key: string, token: string): Promise<boolean> {
  return route.step("unlock", key, (call) =>
    call("unlock", false, async (backend) => {
      const text = await authorityOf(backend).get(key);
      if (!isLive(text, clock) || tokenOf(text as string) !== token) return false;
      return backend.delete(key);
    }),
  );
}

/** True while the lock `key` is live. */
export function heldInRecord(route: Route, clock: Clock, key: string): Promise<boolean> {
  return route.call("isLocked", key, false, async (backend) =>
    isLive(await authorityOf(backend).get(key), clock),
  );
}

function tokenOf(text: string): string | undefined {
  try {
    return splitRecord(text)[1];
  } catch {
    return undefined; // not a lock record: no token releases it
  }
}
