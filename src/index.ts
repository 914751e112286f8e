// Public names shared by every runtime entry; runtimes/*.ts add `Cache`, `cache` and `runtime`.

export type { MemoryBackendOptions } from "./backends/memory";
export { memoryBackend } from "./backends/memory";
export type { CacheOptions, GetOrSetOptions, SetOptions } from "./core/cache";
export type { Clock } from "./core/clock";
export type { Duration, TtlOption } from "./core/durations";
export { parseDuration } from "./core/durations";
export type { CacheErrorCode, CacheErrorOptions } from "./core/errors";
export {
  CacheArgumentError,
  CacheBackendError,
  CacheConfigError,
  CacheError,
  CacheValueError,
  CircuitBreakerOpen,
  LockedError,
  RateLimitError,
  TransactionError,
} from "./core/errors";
export type { BackendScheme } from "./core/lazy";
export { registerScheme } from "./core/lazy";
export type { IsLockedOptions, LockOptions } from "./core/locks";
export type { CommandCall, ErrorHandler, Middleware } from "./core/route";
export type { DetectedCall, WaitUntil } from "./core/scope";
export { Command } from "./core/scope";
export type { SetupOptions, SetupTarget } from "./core/setup";
export type { Backend, BackendCapabilities, BackendSetOptions } from "./core/types";
export type { Detected } from "./features/feature-cache";
export type { CacheStats } from "./features/stats";
export type { Transaction, TransactionOptions } from "./features/transaction";
export { registerFormatter, registerKeyContext, registerTypeFormatter } from "./keys/index";
export type { Serializer } from "./serialization/codec";
export { registerType } from "./serialization/codec";
export type { Condition, ErrorClass } from "./strategies/conditions";
export { NOT_NULLISH, onlyExceptions, withExceptions } from "./strategies/conditions";
export type { StrategyOptions, WrappedExtras } from "./strategies/plan";
export type { CachedFunction, StrategyDecorator } from "./strategies/types";
