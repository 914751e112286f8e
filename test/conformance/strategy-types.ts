// Types of the strategy conformance suite: the slice of a runtime entry's namespace that SPEC 5-7
// describe (strategy factories, features, conditions, errors), on top of the backend suite's
// `IsocacheModule`. Written loosely on purpose, like ./types.ts: method syntax keeps parameters
// bivariant and wrapped functions take `any[]`, so the real entry module is assignable whatever
// the exact generics of its signatures.
import type {
  AnyClass,
  CacheLike,
  Duration,
  ErrorClass,
  IsocacheModule,
  SetupOptions,
  SuiteTarget,
} from "./types";

// biome-ignore lint/suspicious/noExplicitAny: a wrapped function keeps whatever parameters it had.
export type Args = any[];

/** Any function a strategy can wrap. */
export type AnyFn = (...args: Args) => unknown;

/** `stats()` of a cache or of one wrapped function (SPEC 7). */
export interface StatsLike {
  requests: number;
  hits: number;
  misses: number;
  hitRate: number;
  loads: number;
  loadFailures: number;
  loadTimeMs: number;
}

/** What every wrapped function gains (SPEC 5). */
export interface WrappedExtras {
  key(...args: Args): Promise<string>;
  invalidate(...args: Args): Promise<unknown>;
  refresh(...args: Args): Promise<unknown>;
  stats(): StatsLike;
}

/** A wrapped function: always async, plus the extras. */
export type Wrapped = ((...args: Args) => Promise<unknown>) & WrappedExtras;

/** What a strategy factory returns, used as a plain function wrapper. */
export type Strategy<Extra = unknown> = (fn: AnyFn) => Wrapped & Extra;

/** `(result, args, key) => boolean`, or one of the exported conditions. */
export type ConditionLike = (result: unknown, args: readonly unknown[], key: string) => boolean;

/** Options every strategy accepts (SPEC 5). */
export interface CommonOptions {
  ttl?: Duration | ((...args: Args) => Duration);
  key?: string | ((...args: Args) => string | Promise<string>);
  prefix?: string;
  tags?: readonly string[];
  condition?: ConditionLike;
  timeCondition?: Duration;
  lock?: boolean;
  name?: string;
}

/** One command as a middleware sees it (SPEC 7). */
export interface CommandCallLike {
  readonly command: string;
  readonly key: string | undefined;
  readonly args: readonly unknown[];
  readonly backend: string;
}

/** `(call, next) => Promise<unknown>`. */
export type MiddlewareLike = (call: CommandCallLike, next: () => Promise<unknown>) => Promise<unknown>;

/** `setup` options of the strategy suite: the backend suite's plus `middlewares`. */
export interface StrategySetupOptions extends SetupOptions {
  middlewares?: MiddlewareLike[];
}

/** One hit as `detect` reports it. */
export interface DetectedCallLike {
  name: string;
  ttl: number | undefined;
  backend: string;
}

/** The handle a transaction function receives. */
export interface TransactionLike {
  rollback(): void;
}

/** `transaction` options (SPEC 7). */
export interface TransactionOptionsLike {
  mode?: "fast" | "locked" | "serializable";
  timeout?: Duration;
}

/** A cache with the strategy factories and the features (SPEC 5, 6, 7). */
export interface StrategyCacheLike extends CacheLike {
  setup(target: unknown, options?: StrategySetupOptions): StrategyCacheLike;
  cached(options?: CommonOptions): Strategy;
  failover(options: CommonOptions & { exceptions?: readonly AnyClass[] }): Strategy;
  hit(options: CommonOptions & { cacheHits: number; updateAfter?: number }): Strategy;
  early(options: CommonOptions & { earlyTtl: Duration }): Strategy;
  soft(options: CommonOptions & { softTtl: Duration }): Strategy;
  iterator(
    options?: CommonOptions,
  ): (fn: (...args: Args) => AsyncIterable<unknown>) => (...args: Args) => AsyncIterable<unknown>;
  locked(options: CommonOptions & { wait?: boolean | Duration; step?: Duration }): Strategy;
  rateLimit(
    options: CommonOptions & { limit: number; period: Duration; action?: (...args: Args) => unknown },
  ): Strategy;
  sliceRateLimit(options: CommonOptions & { limit: number; period: Duration }): Strategy;
  circuitBreaker(
    options: CommonOptions & {
      errorsRate: number;
      period: Duration;
      ttl: Duration;
      halfOpenTtl?: Duration;
      minCalls?: number;
    },
  ): Strategy;
  bloom(
    options: CommonOptions & { capacity: number; falsePositives: number },
  ): Strategy<{ set(...args: Args): Promise<unknown> }>;
  invalidate(target: string | Wrapped, options?: { argsMap?: Record<string, string> }): Strategy;
  setDefaultFailExceptions(...errors: AnyClass[]): void;

  deleteTags(...tags: string[]): Promise<number>;
  invalidateFurther<T>(fn: () => T): T;
  disable(...commands: string[]): void;
  enable(...commands: string[]): void;
  disabling<T>(fn: () => T, ...commands: string[]): T;
  isEnabled(command?: string): boolean;
  detect<T>(fn: () => T | Promise<T>): Promise<{ result: T; calls: Record<string, DetectedCallLike[]> }>;
  callback<T>(
    fn: (key: string | undefined, result: unknown) => void,
    options: { command?: string },
    scope: () => T,
  ): T;
  transaction<T>(fn: (tx: TransactionLike) => T | Promise<T>, options?: TransactionOptionsLike): Promise<T>;
  withRequest<T>(request: { waitUntil?: (promise: Promise<unknown>) => void }, fn: () => T): T;
  keyContext<T>(values: Record<string, unknown>, fn: () => T): T;
  stats(): StatsLike;
}

/** The exports of a runtime entry the strategy suite uses. */
export interface StrategyModule extends IsocacheModule {
  /** `clock` is the core's injectable time source (the suite's `SteppedClock`). */
  readonly Cache: new (options?: {
    clock?: { now(): number };
  }) => StrategyCacheLike;
  readonly RateLimitError: ErrorClass;
  readonly CircuitBreakerOpen: ErrorClass;
  readonly TransactionError: ErrorClass;
  readonly NOT_NULLISH: ConditionLike;
  withExceptions(...errors: AnyClass[]): ConditionLike;
  onlyExceptions(...errors: AnyClass[]): ConditionLike;
  readonly Command: { readonly GET: string; readonly SET: string } & Readonly<Record<string, string>>;
  registerKeyContext(name: string): void;
  registerTypeFormatter<T extends AnyClass>(type: T, fn: (value: InstanceType<T>) => string): void;
}

/** One storage product on one runtime entry, as the strategy suite runs it. */
export interface StrategySuiteTarget extends SuiteTarget {
  lib: StrategyModule;
  /**
   * Keys the bulk `deleteTags` test tags; default 1000. Every tagged write rewrites the tag's
   * index key, one after another: Workers KV takes about one write per second per key in
   * production, and miniflare's KV spends 10-20 ms on each rewrite of a growing index, so 1000
   * of them outrun the test's 30 s on a loaded machine. Only the KV target lowers it.
   */
  bulkTagKeys?: number;
}
