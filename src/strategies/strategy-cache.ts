import type { Duration, TtlOption } from "../core/durations";
import { FeatureCache } from "../features/feature-cache";
import type { BloomExtras } from "./bloom";
import { bloom } from "./bloom";
import { cached } from "./cached";
import type { CircuitBreakerOptions } from "./circuit-breaker";
import { circuitBreaker } from "./circuit-breaker";
import type { ErrorClass } from "./conditions";
import type { AnyFn } from "./decorate";
import { early } from "./early";
import { failover } from "./failover";
import { hit } from "./hit";
import type { InvalidateOptions } from "./invalidate";
import { invalidate } from "./invalidate";
import type { IteratorDecorator } from "./iterator";
import { iterator } from "./iterator";
import { locked } from "./locked";
import { checkStrategyOptions } from "./options";
import type { StrategyOptions } from "./plan";
import type { RateLimitOptions, SliceRateLimitOptions } from "./rate-limit";
import { rateLimit, sliceRateLimit } from "./rate-limit";
import { soft } from "./soft";
import type { CachedFunction, StrategyDecorator } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: options are checked against the wrapped function's parameters when wrapped.
type Options = StrategyOptions<any[]>;

/** The full cache: basic API, request-scoped features, and the strategy factories. */
export class StrategyCache extends FeatureCache {
  #failExceptions: readonly ErrorClass[] = [];

  /**
   * Executes, stores for `ttl`, serves from cache until then.
   * @example const getUser = cache.cached({ ttl: "3h", key: "user:{id}" })(async function getUser(id: string) { … });
   */
  cached(options?: Options): StrategyDecorator {
    checkStrategyOptions("cached", options);
    return cached(this, options);
  }

  /**
   * Calls through and stores successes; when the call throws one of `exceptions` (default
   * `setDefaultFailExceptions`, else any error) returns the stored value, else rethrows.
   * @example const rates = cache.failover({ ttl: "1d" })(fetchRates);
   */
  failover(options: Options & { exceptions?: readonly ErrorClass[] }): StrategyDecorator {
    checkStrategyOptions("failover", options);
    return failover(this, options);
  }

  /**
   * Serves a computed value `cacheHits` times, then recomputes; `updateAfter: n` refreshes in the background after n hits.
   * @example const top = cache.hit({ ttl: "1h", cacheHits: 100 })(topProducts);
   */
  hit(options: Options & { cacheHits: number; updateAfter?: number }): StrategyDecorator {
    checkStrategyOptions("hit", options);
    return hit(this, options);
  }

  /**
   * After `earlyTtl`, callers get the cached value while exactly one background refresh runs per key.
   * @example const feed = cache.early({ ttl: "10m", earlyTtl: "8m" })(loadFeed);
   */
  early(options: Options & { earlyTtl: TtlOption }): StrategyDecorator {
    checkStrategyOptions("early", options);
    return early(this, options);
  }

  /**
   * After `softTtl` the caller recomputes; if that throws, the stale value is served until `ttl`.
   * @example const prices = cache.soft({ ttl: "1h", softTtl: "1m" })(loadPrices);
   */
  soft(options: Options & { softTtl: TtlOption }): StrategyDecorator {
    checkStrategyOptions("soft", options);
    return soft(this, options);
  }

  /**
   * Caches an async generator: the first run streams while recording, later runs replay every chunk.
   * @example const rows = cache.iterator({ ttl: "5m" })(async function* rows(q: string) { … });
   */
  iterator(options?: Options): IteratorDecorator {
    checkStrategyOptions("iterator", options);
    return iterator(this, options);
  }

  /**
   * At most one execution per key at a time (across processes through the backend); stores nothing.
   * @example const charge = cache.locked({ ttl: "30s", wait: false })(chargeCard);
   */
  locked(options: Options & { wait?: boolean | Duration; step?: Duration }): StrategyDecorator {
    checkStrategyOptions("locked", options);
    return locked(this, options);
  }

  /**
   * Allows `limit` calls per `period`; the next throws `RateLimitError` (or returns `action(...args)`); `ttl` bans that long.
   * @example const login = cache.rateLimit({ limit: 5, period: "1m", key: "login:{ip}" })(doLogin);
   */
  rateLimit(options: RateLimitOptions): StrategyDecorator {
    checkStrategyOptions("rateLimit", options);
    return rateLimit(this, options);
  }

  /**
   * Sliding-window rate limit: the limit lifts as the oldest call leaves the window.
   * @example const send = cache.sliceRateLimit({ limit: 10, period: "1s" })(sendMail);
   */
  sliceRateLimit(options: SliceRateLimitOptions): StrategyDecorator {
    checkStrategyOptions("sliceRateLimit", options);
    return sliceRateLimit(this, options);
  }

  /**
   * Opens after `errorsRate` percent errors among at least `minCalls` calls within `period`: calls throw `CircuitBreakerOpen` for `ttl`.
   * @example const pay = cache.circuitBreaker({ errorsRate: 50, period: "1m", ttl: "30s" })(callPaymentApi);
   */
  circuitBreaker(options: CircuitBreakerOptions): StrategyDecorator {
    checkStrategyOptions("circuitBreaker", options);
    return circuitBreaker(this, options);
  }

  /**
   * A membership filter for a boolean function: `fn.set(...args)` marks; a negative answer returns `false` without calling.
   * @example const taken = cache.bloom({ capacity: 100_000, falsePositives: 1 })(isEmailTaken);
   */
  bloom(options: Options & { capacity: number; falsePositives: number }): StrategyDecorator<BloomExtras> {
    checkStrategyOptions("bloom", options);
    return bloom(this, options);
  }

  /**
   * After the wrapped call resolves, deletes the keys `target` (a template, a glob, or a cached function) gives for its arguments.
   * @example const rename = cache.invalidate(getUser)(async function rename(id: string, name: string) { … });
   */
  invalidate(target: string | CachedFunction<AnyFn>, options?: InvalidateOptions): StrategyDecorator {
    checkStrategyOptions("invalidate", options);
    return invalidate(this, target, options);
  }

  /** The errors `failover` falls back on when its own `exceptions` option is absent; none = any error. */
  setDefaultFailExceptions(...errors: ErrorClass[]): void {
    this.#failExceptions = errors;
  }

  /** The errors set by `setDefaultFailExceptions`. */
  get defaultFailExceptions(): readonly ErrorClass[] {
    return this.#failExceptions;
  }
}
