// `incr` on one route: the backend's own add where the record allows it, else the rewrite of
// counters.ts; and the check of its amount.
import { SUPPRESSED, Suppressed } from "./backend-guard";
import type { Clock } from "./clock";
import { incrByRewrite } from "./counters";
import { CacheArgumentError, CacheValueError, errorMessage } from "./errors";
import type { Route } from "./route";

/**
 * Throws `CacheArgumentError` unless `by`, the amount `incr(key, by)` adds, is a finite number
 * and, when a whole number, a safe integer: past ±(2^53 - 1) a number cannot count by 1, so even
 * a new counter would start off wrong (every backend refuses it alike, before anything is written).
 */
export function assertIncrBy(key: string, by: number): void {
  if (typeof by === "number" && Number.isFinite(by) && (!Number.isInteger(by) || Number.isSafeInteger(by)))
    return;
  const what = typeof by === "number" && Number.isFinite(by) ? "a safe integer" : "a finite number";
  throw new CacheArgumentError(
    errorMessage(
      undefined,
      `incr(${JSON.stringify(key)}, ${String(by)}) needs ${what}`,
      `pass a number such as 1 or -1, within ±${Number.MAX_SAFE_INTEGER}`,
    ),
  );
}

/** Adds `by` to `key` on `route`, outside any transaction, and returns the new number. */
export function incrOn(
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
): Promise<number> {
  return incrWith(route, clock, key, by, ttl, false) as Promise<number>;
}

/** `incrOn` for a guard that must learn of a failure `suppress` reported: it comes back as a `Suppressed`. */
export function incrStrictOn(
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
): Promise<number | Suppressed> {
  return incrWith(route, clock, key, by, ttl, true);
}

async function incrWith(
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
  strict: boolean,
): Promise<number | Suppressed> {
  const native =
    route.codec.signer === undefined &&
    Number.isInteger(by) &&
    (ttl === undefined || !route.needsEnvelopeExpiry(ttl));
  if (native) {
    try {
      const next = await route.call<number | Suppressed | typeof SUPPRESSED>(
        "incr",
        key,
        strict ? SUPPRESSED : by,
        (backend) => backend.incr(key, by, route.nativeTtl(ttl)),
      );
      if (next instanceof Suppressed) return next;
      if (next === SUPPRESSED) return by; // a disabled route
      if (Number.isSafeInteger(next)) return next;
      throw unsafeAnswer(route.backend.name, key, next);
    } catch (error) {
      if (!(error instanceof CacheValueError) || error instanceof UnsafeAnswer) throw error;
    }
  }
  return incrByRewrite(route, clock, key, by, ttl, strict);
}

/** A backend's `incr` answered outside the safe integer range, which its contract refuses (see `Backend.incr`). */
class UnsafeAnswer extends CacheValueError {}

function unsafeAnswer(backend: string, key: string, next: number): UnsafeAnswer {
  return new UnsafeAnswer(
    errorMessage(
      backend,
      `incr("${key}") answered ${String(next)}, outside the safe integer range, where increments are lost`,
      "make the backend's incr throw CacheValueError for such a sum and leave the value, and keep counters within Number.MAX_SAFE_INTEGER",
    ),
  );
}
