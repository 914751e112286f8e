import { NOT_NATIVE, readStrict, slideWindowOn } from "../core/atomic";
import { Suppressed } from "../core/backend-guard";
import { type Duration, toMilliseconds } from "../core/durations";
import { CacheBackendError, errorMessage, RateLimitError } from "../core/errors";
import { shownValue } from "../core/suggest";
import type { FeatureCache } from "../features/feature-cache";
import { configError, internalKey, whereOf } from "./_meta";
import type { AnyFn, Site } from "./decorate";
import { adapt } from "./decorate";
import type { WrappedExtras } from "./plan";
import { Plan } from "./plan";
import type { StrategyDecorator } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: the action and key functions receive the wrapped function's arguments, whatever they are.
type ArgsFn<R> = (...args: any[]) => R;

/** Options of `rateLimit`. */
export interface RateLimitOptions {
  /** Calls allowed per `period` and key (a positive integer). */
  limit: number;
  /** Length of the fixed window: `"1m"` or milliseconds (positive). */
  period: Duration;
  /** When given, exceeding the limit bans the key for this long (positive), even past the window's end. */
  ttl?: Duration;
  /** Called with the call's arguments instead of throwing `RateLimitError`; its result is returned. */
  action?: ArgsFn<unknown>;
  /** Which calls share a limit: a template (`"login:{ip}"`) or a function; default: function name and all arguments. */
  key?: string | ArgsFn<string>;
  /** Put in front of the key with a colon. */
  prefix?: string;
  /** Name used in the default key and in messages; default: the function's name. */
  name?: string;
}

/** Options of `sliceRateLimit`. */
export interface SliceRateLimitOptions {
  /** Calls allowed within any `period` long stretch of time, per key (a positive integer). */
  limit: number;
  /** Length of the sliding window: `"1s"` or milliseconds (positive). */
  period: Duration;
  /** Called with the call's arguments instead of throwing `RateLimitError`; its result is returned. */
  action?: ArgsFn<unknown>;
  /** Which calls share a limit: a template or a function; default: function name and all arguments. */
  key?: string | ArgsFn<string>;
  /** Put in front of the key with a colon. */
  prefix?: string;
  /** Name used in the default key and in messages; default: the function's name. */
  name?: string;
}

/**
 * Fixed-window rate limit: calls 1 to `limit` within `period` (per key) run, the next ones throw
 * `RateLimitError` saying when to retry, or return `action(...args)`. The count lives in an
 * internal counter (`incr` with the period as TTL, atomic where the backend is); with `ttl`,
 * exceeding the limit also bans the key for `ttl` (banned calls are refused before counting, and
 * do not extend the ban); a window that outlives the ban still holds its count.
 * `fn.invalidate(...args)` lifts the limit and the ban for those arguments. A call whose count
 * the backend fails to take is refused with `CacheBackendError` (under `suppress` too, after
 * reporting it) and does not run: a limit that admitted it would admit every call meanwhile.
 * @example
 * const login = cache.rateLimit({ limit: 5, period: "1m", ttl: "15m", key: "login:{ip}" })(doLogin);
 */
export function rateLimit(cache: FeatureCache, options: RateLimitOptions): StrategyDecorator {
  requireOptions("rateLimit", options, '{ limit: 5, period: "1m" }');
  return adapt((fn, site) => {
    const plan = keyPlan(cache, fn, site, options, "rateLimit");
    const where = whereOf("rateLimit", options, site);
    const limit = positiveInteger(options.limit, "limit", where);
    const periodMs = positiveDuration(options.period, "period", where);
    const banMs = options.ttl === undefined ? undefined : positiveDuration(options.ttl, "ttl", where);
    const refuse = refusal(options.action, where, `${tooMany(limit)} within ${inWords(periodMs)}`, banMs);
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, async (key) => {
          const banKey = internalKey("rate-ban", key);
          if (banMs !== undefined) {
            const left = await cache.getExpire(banKey);
            if (left !== -2) return refuse(thisArg, args, left < 0 ? banMs : left, true);
          }
          const counter = internalKey("rate", key);
          const count = await outsideTransaction(cache, () => cache.incrStrict(counter, 1, periodMs));
          if (count instanceof Suppressed) throw uncounted(cache, where, counter, count);
          if (count <= limit) return (await plan.execute(thisArg, args)).value;
          if (banMs !== undefined) {
            await cache.write(banKey, count, banMs, undefined, false);
            return refuse(thisArg, args, banMs, true);
          }
          const left = await cache.getExpire(counter);
          return refuse(thisArg, args, left < 0 ? periodMs : left, false);
        }),
      extras: stateExtras(plan, (key) => [internalKey("rate", key), internalKey("rate-ban", key)]),
    };
  }) as StrategyDecorator;
}

/**
 * Sliding-window rate limit: a call runs when fewer than `limit` calls of its key ran within the
 * last `period`, so the limit lifts exactly as the oldest call leaves the window; refused calls are
 * not recorded. The call times (epoch ms on the cache's clock) live under an internal key: where
 * the backend offers `slideWindow` (Redis over TCP or HTTP: one Lua script), each admission is
 * one atomic step across processes; elsewhere they are a list rewritten under `cache.exclusive`,
 * atomic within one process, best-effort across processes. A call the backend fails to record
 * is refused with `CacheBackendError`, as in `rateLimit`.
 * @example
 * const send = cache.sliceRateLimit({ limit: 10, period: "1s", key: "mail:{to}" })(sendMail);
 */
export function sliceRateLimit(cache: FeatureCache, options: SliceRateLimitOptions): StrategyDecorator {
  requireOptions("sliceRateLimit", options, '{ limit: 10, period: "1s" }');
  return adapt((fn, site) => {
    const plan = keyPlan(cache, fn, site, options, "sliceRateLimit");
    const where = whereOf("sliceRateLimit", options, site);
    const limit = positiveInteger(options.limit, "limit", where);
    const periodMs = positiveDuration(options.period, "period", where);
    const refuse = refusal(options.action, where, `${tooMany(limit)} within the last ${lastOf(periodMs)}`);
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, async (key) => {
          const slot = internalKey("slice", key);
          const wait = await admitAtomically(cache, where, slot, limit, periodMs);
          if (wait > 0) return refuse(thisArg, args, wait, false);
          return (await plan.execute(thisArg, args)).value;
        }),
      extras: stateExtras(plan, (key) => [internalKey("slice", key)]),
    };
  }) as StrategyDecorator;
}

/** `admit` in one step on a backend with `slideWindow`, else under the in-process lock of `slot`. */
async function admitAtomically(
  cache: FeatureCache,
  where: string,
  slot: string,
  limit: number,
  periodMs: number,
) {
  const now = cache.clock.now();
  const hit = await slideWindowOn(cache.routeFor(slot), slot, now, periodMs, limit);
  if (hit instanceof Suppressed) throw uncounted(cache, where, slot, hit);
  if (hit === NOT_NATIVE) return cache.exclusive(slot, () => admit(cache, where, slot, limit, periodMs));
  return hit.allowed ? 0 : Math.max(1, hit.oldestMs + periodMs - now);
}

/** Records a call when the window has room and returns 0, else the milliseconds until it has. */
async function admit(
  cache: FeatureCache,
  where: string,
  slot: string,
  limit: number,
  periodMs: number,
): Promise<number> {
  const now = cache.clock.now();
  const since = now - periodMs;
  const route = cache.routeFor(slot);
  const stored = await readStrict(route, cache.clock, slot);
  if (stored instanceof Suppressed) throw uncounted(cache, where, slot, stored);
  const calls: number[] = [];
  let oldest = now;
  if (Array.isArray(stored)) {
    for (const at of stored) {
      if (typeof at !== "number" || at <= since) continue;
      calls.push(at);
      if (at < oldest) oldest = at;
    }
  }
  if (calls.length >= limit) return Math.max(1, oldest + periodMs - now);
  calls.push(now);
  // An admission the window does not record would leave room for every later call.
  if (!(await cache.write(slot, calls, periodMs, undefined)) && route.enabled) {
    throw uncounted(cache, where, slot, undefined);
  }
  return 0;
}

/**
 * The error of a call a limit could not count because its backend failed (reported to onError
 * under `suppress`): the call does not run, as `lock` does not run `fn` unguarded, since
 * admitting it would admit every call while the backend is down.
 */
function uncounted(
  cache: FeatureCache,
  where: string,
  stateKey: string,
  suppressed: Suppressed | undefined,
): CacheBackendError {
  return new CacheBackendError(
    cache.routeFor(stateKey).backend.name,
    errorMessage(
      where,
      "the call could not be counted: the backend failed (reported to onError)",
      "check that the backend is reachable, then retry",
    ),
    suppressed === undefined ? undefined : { cause: suppressed.error },
  );
}

/** Builds what a refused call does: `action(...args)` when given, else throw `RateLimitError`. */
function refusal(action: ArgsFn<unknown> | undefined, where: string, problem: string, banMs?: number) {
  if (action !== undefined && typeof action !== "function") {
    throw configError(where, "`action` must be a function", "pass a function of the call's arguments");
  }
  const bannedProblem = banMs === undefined ? problem : `banned for ${inWords(banMs)} after ${problem}`;
  return (thisArg: unknown, args: unknown[], retryMs: number, banned: boolean): unknown => {
    if (action !== undefined) return action.apply(thisArg, args);
    throw new RateLimitError(
      errorMessage(where, banned ? bannedProblem : problem, `retry in ${Math.ceil(retryMs)} ms`),
    );
  };
}

/** Whole units a period reads in, largest first; a period none divides reads in milliseconds. */
const UNITS: readonly (readonly [number, string])[] = [
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1000, "second"],
];

/** "more than 1 call", "more than 5 calls". */
function tooMany(limit: number): string {
  return `more than ${limit} ${limit === 1 ? "call" : "calls"}`;
}

/** `ms` for a message: in the largest unit it is a whole number of ("1 minute", "90 seconds"), else "1500 ms". */
function inWords(ms: number): string {
  for (const [size, unit] of UNITS) {
    if (ms % size === 0) return `${ms / size} ${ms === size ? unit : `${unit}s`}`;
  }
  return `${ms} ms`;
}

/** What follows "within the last": "second" for one, else as `inWords` says ("2 seconds", "1500 ms"). */
function lastOf(ms: number): string {
  const unit = UNITS.find(([size]) => size === ms);
  return unit === undefined ? inWords(ms) : unit[1];
}

/**
 * Runs `work` outside the caller's transaction: a strategy's own state (counters, bans, circuit
 * state) must count every call at once, not only when a transaction commits.
 */
export function outsideTransaction<T>(cache: FeatureCache, work: () => Promise<T>): Promise<T> {
  return cache.scope().tx === undefined ? work() : cache.withScope({ tx: undefined, brief: true }, work);
}

/**
 * Extras of a strategy that stores no result: `key`, `invalidate` (deletes the internal state
 * keys `stateKeys(key)` gives, `true` if any existed), `refresh` (calls straight through) and `stats`.
 */
export function stateExtras(
  plan: Plan,
  stateKeys: (key: string) => string[],
): WrappedExtras<unknown[], unknown> {
  const base = plan.extras();
  return {
    key: base.key,
    stats: base.stats,
    async invalidate(this: unknown, ...args: unknown[]) {
      const key = await base.key.apply(this, args);
      const deleted = await outsideTransaction(plan.cache, () => plan.cache.deleteMany(stateKeys(key)));
      return deleted > 0;
    },
    async refresh(this: unknown, ...args: unknown[]) {
      return (await plan.execute(this, args)).value;
    },
  };
}

/** A `Plan` for a strategy that stores no result: only `key`, `prefix` and `name` matter. */
export function keyPlan(
  cache: FeatureCache,
  fn: AnyFn,
  site: Site,
  options: { key?: string | ArgsFn<string | Promise<string>>; prefix?: string; name?: string },
  strategy: string,
): Plan {
  return new Plan(
    cache,
    fn,
    site,
    { key: options.key, prefix: options.prefix, name: options.name },
    strategy,
  );
}

/**
 * Throws `CacheConfigError` unless `options` is an object: a strategy whose options have no
 * defaults (`limit`, `period`, ...) must be given them, and would otherwise fail with a bare
 * `TypeError` once a function is wrapped. `example` shows the least it takes.
 */
export function requireOptions(strategy: string, options: unknown, example: string): void {
  if (typeof options === "object" && options !== null && !Array.isArray(options)) return;
  throw configError(
    strategy,
    `options must be an object, got ${shownValue(options)}`,
    `pass for example ${example}`,
  );
}

/** A positive integer option, checked when the function is wrapped. */
export function positiveInteger(value: unknown, what: string, where: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  throw configError(
    where,
    `\`${what}\` must be a positive integer, got ${String(value)}`,
    `pass ${what}: 10`,
  );
}

/** A positive duration option in milliseconds, checked when the function is wrapped. */
export function positiveDuration(value: Duration | undefined, what: string, where: string): number {
  const ms = value === undefined ? 0 : toMilliseconds(value, what);
  if (ms > 0) return ms;
  throw configError(where, `\`${what}\` must be positive, got ${String(value)}`, `pass ${what}: "1m"`);
}
