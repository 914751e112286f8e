// `incr` for counters a backend cannot add to natively: signed, tagged or fractional ones, or
// ones whose TTL lives in the record. The record is read, decoded, and written back with the sum.
import { SUPPRESSED, Suppressed } from "./backend-guard";
import type { Clock } from "./clock";
import { peekHeader } from "./envelope";
import { CacheBackendError, CacheValueError, errorMessage } from "./errors";
import { decodeValue, encodeStored, headerExpiry, MISS, writeIn } from "./records";
import type { Route, StepCall } from "./route";

/** Rewrites in a row lost to other processes' writes of the key before `incr` gives up. */
export const REWRITE_ATTEMPTS = 100;

/** A compare-and-set that found the record changed since it was read: read again. */
const RACED: unique symbol = Symbol("isocache.raced");

/**
 * Adds `by` by rewriting the record. The read and the write are one step among the key's
 * commands (`Route.step`), so within this cache two increments never read the same count and a
 * delete or set called after this one is not undone by its write. Where the backend offers
 * `replace` (Redis over TCP or HTTP, and tiers above them) the write is a compare-and-set against
 * the record read, retried when another process wrote in between: atomic across processes too.
 */
export function incrByRewrite(
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
  strict = false,
): Promise<number | Suppressed> {
  return route.step("incr", key, async (direct) => {
    const call = strict ? strictStep(direct) : direct;
    for (let attempt = 0; attempt < REWRITE_ATTEMPTS; attempt++) {
      let next: number | typeof RACED;
      try {
        next = await rewriteOnce(call, route, clock, key, by, ttl);
      } catch (error) {
        if (error instanceof StepSuppressed) return error.suppressed;
        throw error;
      }
      if (next !== RACED) return next;
    }
    throw new CacheBackendError(
      route.backend.name,
      errorMessage(
        route.backend.name,
        `incr("${key}") lost ${REWRITE_ATTEMPTS} compare-and-set rewrites in a row to other writes of the key`,
        "retry later, or keep the counter unsigned and untagged so the backend adds natively",
      ),
    );
  });
}

/** Carries a failure `suppress` reported out of a strict rewrite's steps (see `strictStep`). */
class StepSuppressed extends Error {
  constructor(readonly suppressed: Suppressed) {
    super(suppressed.error.message);
  }
}

/**
 * `call` for a rewrite whose caller must learn of a failure `suppress` hid (a rate limit must not
 * count it as a first call): the step stops there with the reported error; a disabled route still
 * answers each step's own fallback.
 */
function strictStep(call: StepCall): StepCall {
  return async (name, fallback, fn) => {
    const answer = await call<unknown>(name, SUPPRESSED, fn);
    if (answer instanceof Suppressed) throw new StepSuppressed(answer);
    return (answer === SUPPRESSED ? fallback : answer) as typeof fallback;
  };
}

async function rewriteOnce(
  call: StepCall,
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
): Promise<number | typeof RACED> {
  const text = await call("get", undefined, (backend) => backend.get(key));
  const current = text === undefined ? MISS : await decodeValue(route, clock, key, text);
  if (current !== MISS) assertCounter(route.backend.name, key, current);
  // Known once the read above has initialised the backend (a lazy one gains it at init).
  if (route.backend.replace === undefined)
    return rewriteInProcess(call, route, clock, key, by, ttl, text, current);
  if (current === MISS) {
    // A new counter, or one over a record that reads as missing (tampered, or its TTL ended).
    const record = await encodeStored(route, clock, key, by, ttl, undefined);
    const native = route.nativeTtl(ttl);
    const stored = await call("set", true, (backend) =>
      text === undefined || backend.replace === undefined
        ? backend.set(key, record, { ttl: native, exist: false })
        : backend.replace(key, text, record, native),
    );
    return stored ? by : RACED;
  }
  const next = safeSum(route.backend.name, key, current, by);
  // The TTL left stays: from the record's header where it lives there, else the key's own.
  const inHeader = route.envelopeExpiry ? headerExpiry(text as string, clock) : undefined;
  const left = inHeader !== undefined && inHeader > 0 ? inHeader : undefined;
  // The record keeps its tags, so the tags' indexes, which list the key, still reach it.
  const record = await encodeStored(route, clock, key, next, left, peekHeader(text as string)?.t);
  const stored = await call("replace", true, (backend) =>
    backend.replace === undefined
      ? Promise.resolve(false)
      : backend.replace(key, text as string, record, route.nativeTtl(left)),
  );
  return stored ? next : RACED;
}

/**
 * `current + by` for `incr` of `key` on `backend`, refused when both are integers and the sum
 * leaves the safe integer range: there a double cannot tell n from n + 1, so the increment would
 * be lost without a word (the backend's own add refuses it too, and lands here).
 */
export function safeSum(backend: string, key: string, current: number, by: number): number {
  const next = current + by;
  if (Number.isSafeInteger(next) || !Number.isInteger(current) || !Number.isInteger(by)) return next;
  throw new CacheValueError(
    errorMessage(
      backend,
      `incr("${key}") would leave the safe integer range (±${Number.MAX_SAFE_INTEGER}), where increments are lost`,
      "keep counters within Number.MAX_SAFE_INTEGER (the value was left unchanged)",
    ),
  );
}

/**
 * Throws `CacheValueError` unless `found`, the value `incr(key)` read on `backend`, is a finite
 * number: a string, an object or `NaN` is no count (`NaN + 1` would stay `NaN` for good, and
 * `Infinity` never counts again). The value is left as it is.
 */
export function assertCounter(backend: string, key: string, found: unknown): asserts found is number {
  if (typeof found === "number" && Number.isFinite(found)) return;
  throw new CacheValueError(
    errorMessage(
      backend,
      `incr("${key}") found ${kindOf(found)}, not a finite number`,
      "delete the key or use another one for the counter",
    ),
  );
}

/** How a stored value that is not a counter reads in a message: `null`, `an array`, `a string`, `NaN`, ... */
function kindOf(found: unknown): string {
  if (typeof found === "number") return String(found);
  if (found === null) return "null";
  if (Array.isArray(found)) return "an array";
  return typeof found === "object" ? "an object" : `a ${typeof found}`;
}

/** The rewrite where the backend has no compare-and-set: serialised within this cache only. */
async function rewriteInProcess(
  call: StepCall,
  route: Route,
  clock: Clock,
  key: string,
  by: number,
  ttl: number | undefined,
  text: string | undefined,
  current: number | typeof MISS,
): Promise<number> {
  if (current === MISS) {
    await writeIn(call, route, clock, key, by, ttl);
    return by;
  }
  // The TTL left, as `expiryOf` reads it: from the record's header where it lives there.
  const inHeader = route.envelopeExpiry && text !== undefined ? headerExpiry(text, clock) : undefined;
  const next = safeSum(route.backend.name, key, current, by);
  const left = inHeader ?? (await call("getExpire", -2, (backend) => backend.getExpire(key)));
  const tags = text === undefined ? undefined : peekHeader(text)?.t;
  await writeIn(call, route, clock, key, next, left > 0 ? left : undefined, tags);
  return next;
}
