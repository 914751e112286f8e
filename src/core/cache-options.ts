// What the cache's constructor and commands accept: the platform a runtime entry hands the core,
// the option types, and the checks a command makes of an option or argument before it runs.
import type { Clock } from "./clock";
import type { ContextFactory } from "./context";
import { type Duration, toMilliseconds } from "./durations";
import { CacheArgumentError, errorMessage } from "./errors";
import type { ObjectAdapter, SchemeFactory } from "./setup";

/** A TTL option in milliseconds; `0` and absent both mean "no expiry". */
export function ttlOption(ttl: Duration | undefined): number | undefined {
  return ttl === undefined ? undefined : toMilliseconds(ttl, "ttl") || undefined;
}

/** What a runtime entry hands the core: its name, its context storage and the backends it serves. */
export interface Platform {
  readonly runtime: string;
  readonly context: ContextFactory;
  readonly schemes: Readonly<Record<string, SchemeFactory>>;
  readonly adapters: readonly ObjectAdapter[];
  /** The URL used when `setup` is never called. */
  readonly defaultUrl: string;
  /** The clock a cache uses when `CacheOptions.clock` is not given. */
  readonly clock: Clock;
}

/** Options of `new Cache()`. */
export interface CacheOptions {
  /** Time source for TTLs computed by the core; default: `Date.now()`, read at most once per millisecond on Node, Bun and Deno (see `coarseClock`). */
  clock?: Clock;
}

/** Options of `set`. */
export interface SetOptions {
  /** Time to live: `"2h5m"`, `"500ms"` or milliseconds; default none. */
  ttl?: Duration;
  /** `false`: store only if absent; `true`: store only if present. */
  exist?: boolean;
  /** Tags to invalidate the key with later through `deleteTags`. */
  tags?: readonly string[];
}

/** Options of `getOrSet`. */
export interface GetOrSetOptions {
  ttl?: Duration;
  tags?: readonly string[];
}

/** Throws `CacheArgumentError` unless `value`, what `setRaw` stores as it is, is a string. */
export function assertRawValue(value: string): void {
  if (typeof value !== "string")
    throw new CacheArgumentError(
      errorMessage(undefined, "setRaw() stores strings only", "serialize the value yourself, or use set()"),
    );
}
