// Public names shared by every runtime entry; runtimes/*.ts add `Cache`, `cache` and `runtime`.
export {
  CacheError,
  CacheConfigError,
  CacheBackendError,
  CacheValueError,
  RateLimitError,
  CircuitBreakerOpen,
  LockedError,
  TransactionError,
} from "./core/errors";
export type { CacheErrorCode, CacheErrorOptions } from "./core/errors";
export type { Backend, BackendCapabilities, BackendSetOptions } from "./core/types";
export type { Clock } from "./core/clock";
export type { CacheOptions, GetOrSetOptions, SetOptions } from "./core/cache";
export type { SetupOptions, SetupTarget } from "./core/setup";
export type { CommandCall, ErrorHandler, Middleware } from "./core/route";
export type { IsLockedOptions, LockOptions } from "./core/locks";
export type { CacheStats } from "./features/stats";
export type { Duration, TtlOption } from "./core/durations";
export { parseDuration } from "./core/durations";
export type { Serializer } from "./serialization/codec";
export { registerType } from "./serialization/codec";
export { memoryBackend } from "./backends/memory";
export type { MemoryBackendOptions } from "./backends/memory";
export { Command } from "./core/scope";
export type { DetectedCall, WaitUntil } from "./core/scope";
export type { Detected } from "./features/feature-cache";
export type { Transaction, TransactionOptions } from "./features/transaction";
export { NOT_NULLISH, onlyExceptions, withExceptions } from "./strategies/conditions";
export type { Condition, ErrorClass } from "./strategies/conditions";
export type { StrategyOptions, WrappedExtras } from "./strategies/plan";
export type { CachedFunction, StrategyDecorator } from "./strategies/types";
export { registerFormatter, registerKeyContext, registerTypeFormatter } from "./keys/index";
