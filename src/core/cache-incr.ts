// `incr` on one route: the backend's own add where the record allows it, else the rewrite of
// counters.ts; and the check of its amount.
import type { Clock } from "./clock";
import { incrByRewrite } from "./counters";
import { CacheArgumentError, CacheValueError, errorMessage } from "./errors";
import type { Route } from "./route";

/** Throws `CacheArgumentError` unless `by`, the amount `incr(key, by)` adds, is a finite number. */
export function assertIncrBy(key: string, by: number): void {
  if (typeof by !== "number" || !Number.isFinite(by)) {
    throw new CacheArgumentError(
      errorMessage(
        undefined,
        `incr(${JSON.stringify(key)}, ${String(by)}) needs a finite number`,
        "pass a number such as 1 or -1",
      ),
    );
  }
}

/** Adds `by` to `key` on `route`, outside any transaction, and returns the new number. */
export async function incrOn(
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
): Promise<number> {
  const native =
    route.codec.signer === undefined &&
    Number.isInteger(by) &&
    (ttl === undefined || !route.needsEnvelopeExpiry(ttl));
  if (native) {
    try {
      return await route.call("incr", key, by, (backend) => backend.incr(key, by, route.nativeTtl(ttl)));
    } catch (error) {
      if (!(error instanceof CacheValueError)) throw error;
    }
  }
  return incrByRewrite(route, clock, key, by, ttl);
}
