// What the cache's constructor and commands accept: the platform a runtime entry hands the core,
// the option types, and the checks a command makes of an option or argument before it runs.

import { assertFlag, assertKnownOptions } from "./arguments";
import type { Clock } from "./clock";
import type { ContextFactory } from "./context";
import { type Duration, toMilliseconds } from "./durations";
import { CacheArgumentError, CacheConfigError, errorMessage } from "./errors";
import type { ObjectAdapter, SchemeFactory } from "./setup";
import { shownValue, unknownName, unknownOptionHint } from "./suggest";

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

const SET_OPTIONS: readonly string[] = ["ttl", "exist", "tags"];
const TTL_ONLY: readonly string[] = ["ttl"];
const TTL_EXAMPLE = 'pass for example { ttl: "10m" } (a TTL goes in the options), or leave them out';

/** Throws `CacheArgumentError` unless `options` of `set(key, ...)` is an object of its options, `exist` a boolean. */
export function assertSetOptions(key: string, options: SetOptions): void {
  assertKnownOptions(options, "set(%k, value, options)", SET_OPTIONS, TTL_EXAMPLE, key);
  assertFlag(options.exist, "exist", "set(%k, value, options)", key);
}

/** Throws `CacheArgumentError` unless `options` of `getOrSet(key, ...)` is an object of its options. */
export function assertGetOrSetOptions(key: string, options: GetOrSetOptions): void {
  assertKnownOptions(options, "getOrSet(%k, factory, options)", GET_OR_SET_OPTIONS, TTL_EXAMPLE, key);
}

const GET_OR_SET_OPTIONS: readonly string[] = ["ttl", "tags"];

/** Throws `CacheArgumentError` unless `options` of `call` (`incr(%k, by, options)`, `setMany(entries, options)`) holds a `ttl` at most. */
export function assertTtlOptions(options: { ttl?: Duration }, call: string, key?: string): void {
  assertKnownOptions(options, call, TTL_ONLY, TTL_EXAMPLE, key);
}

/** Throws `CacheConfigError` unless `options` of `new Cache(options)` is absent or an object of its options. */
export function assertCacheOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options))
    throw new CacheConfigError(
      errorMessage(
        undefined,
        `new Cache() takes an options object, got ${shownValue(options)}`,
        "pass { clock } or nothing",
      ),
    );
  const unknown = unknownName(options, CACHE_OPTIONS);
  if (unknown !== undefined)
    throw new CacheConfigError(
      errorMessage(
        undefined,
        `new Cache() has no option \`${unknown.name}\``,
        unknownOptionHint(unknown.name, CACHE_OPTIONS),
      ),
    );
  const clock = (options as CacheOptions).clock;
  if (clock !== undefined && typeof (clock as Partial<Clock> | null)?.now !== "function")
    throw new CacheConfigError(
      errorMessage(
        undefined,
        `new Cache() \`clock\` must be an object with a now() method, got ${shownValue(clock)}`,
        "pass for example { now: () => Date.now() }, or leave it out",
      ),
    );
}

const CACHE_OPTIONS: readonly string[] = ["clock"];

/** Throws `CacheArgumentError` unless `value`, what `setRaw` stores as it is, is a string. */
export function assertRawValue(value: string): void {
  if (typeof value !== "string")
    throw new CacheArgumentError(
      errorMessage(undefined, "setRaw() stores strings only", "serialize the value yourself, or use set()"),
    );
}
