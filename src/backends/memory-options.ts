// What a memory backend is configured with and what it reports: the options, checked once per
// backend, its capabilities and its counters.
import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheConfigError, errorMessage } from "../core/errors";
import type { BackendCapabilities } from "../core/types";

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /** Most entries held before the least recently used one is evicted; a positive integer, default 10_000. */
  size?: number;
  /** Time source (milliseconds since the epoch); default `systemClock`. Inject a fake one to test TTLs. */
  clock?: Clock;
}

/** Counters of a memory backend, for tests and diagnostics. */
export interface MemoryBackendStats {
  /** Entries held, including expired ones not purged yet. */
  readonly entries: number;
  /** Entries that carry a TTL. */
  readonly expiring: number;
  /** Live entries dropped to stay within `size`. */
  readonly evictions: number;
  /** Expired entries removed, by the purge or on access. */
  readonly expirations: number;
  /** Entries the purge examined: one per expired entry removed plus one per purge that found work left for later. */
  readonly purgeVisits: number;
}

const DEFAULT_SIZE = 10_000;

/** Native TTL, atomic counters and locks, strong consistency, no key limit. */
export const MEMORY_CAPABILITIES: BackendCapabilities = Object.freeze({
  nativeTtl: true,
  minTtlMs: 0,
  maxKeyBytes: 0,
  atomic: true,
  consistency: "strong",
});

/** The `size` option, checked; default 10_000. */
export function memorySize(options: MemoryBackendOptions): number {
  const size = options.size ?? DEFAULT_SIZE;
  if (!Number.isSafeInteger(size) || size < 1) {
    const problem = `size ${String(size)} is not a positive integer`;
    throw new CacheConfigError(
      errorMessage("memory", problem, "pass the most entries to keep, such as 10000"),
    );
  }
  return size;
}

/** The `clock` option, checked; default `systemClock`. */
export function memoryClock(options: MemoryBackendOptions): Clock {
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== "function") {
    throw new CacheConfigError(errorMessage("memory", "clock has no now()", "pass { now: () => ms }"));
  }
  return clock;
}
