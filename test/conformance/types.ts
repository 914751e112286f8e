// Types of the conformance suites. The test framework is passed in (vitest on every runtime
// today, bun:test possible), so these describe only the slice of it the suites call; the library
// is passed in as the namespace of one runtime entry, typed as the slice of it the suites use.
// Both are written loosely on purpose: method syntax keeps parameters bivariant, so the real
// vitest functions and the real entry module are assignable whatever their exact generics.

/** A test body; may be async. */
export type TestBody = () => void | Promise<void>;

/** A constructor `toThrow` and `toBeInstanceOf` accept. */
export type AnyClass = abstract new (...args: never[]) => unknown;

/** The matchers the suites use; vitest's and bun:test's `expect` both provide them. */
export interface Matchers<R = void> {
  toBe(expected: unknown): R;
  toEqual(expected: unknown): R;
  toStrictEqual(expected: unknown): R;
  toBeUndefined(): R;
  toBeNull(): R;
  toBeNaN(): R;
  toBeGreaterThan(expected: number | bigint): R;
  toBeGreaterThanOrEqual(expected: number | bigint): R;
  toBeLessThan(expected: number | bigint): R;
  toBeLessThanOrEqual(expected: number | bigint): R;
  toBeInstanceOf(expected: AnyClass): R;
  toContain(expected: unknown): R;
  toHaveLength(expected: number): R;
  toMatch(expected: string | RegExp): R;
  toThrow(expected?: string | RegExp | AnyClass | Error): R;
}

/** What `expect(actual)` returns. */
export interface Assertion extends Matchers<void> {
  readonly not: Matchers<void>;
  readonly resolves: Matchers<Promise<void>>;
  readonly rejects: Matchers<Promise<void>>;
}

/**
 * The injected test framework: pass vitest's or bun:test's functions as they are.
 * @example backendSuite({ describe, it, expect, beforeEach, afterEach }, target)
 */
export interface TestApi {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: TestBody, timeoutMs?: number): unknown;
  expect(actual: unknown): Assertion;
  beforeEach(body: TestBody): unknown;
  afterEach(body: TestBody): unknown;
}

/** A TTL or wait: a duration string such as `"150ms"` or `"2h5m"`, or milliseconds. */
export type Duration = string | number;

/** What every isocache error carries. */
export interface CacheErrorLike extends Error {
  readonly code: string;
}

/** An isocache error class, as exported by a runtime entry. */
export type ErrorClass = abstract new (...args: never[]) => CacheErrorLike;

/** The `cache.setup` options the suites use. */
export interface SetupOptions {
  prefix?: string;
  secret?: string;
  suppress?: boolean;
  timeout?: Duration;
  enable?: boolean;
  compress?: boolean;
  decompressLimit?: number;
  serializer?: { encode(value: unknown): string; decode(text: string): unknown };
  onError?(error: CacheErrorLike): void;
}

/** Options of `cache.set`. */
export interface SetOptions {
  ttl?: Duration;
  exist?: boolean;
  tags?: string[];
}

/** Options that carry only a TTL (`getOrSet`, `setMany`, `incr`). */
export interface TtlOptions {
  ttl?: Duration;
}

/** The basic API of a `Cache` (SPEC 4), as far as the suites call it. */
export interface CacheLike {
  setup(target: unknown, options?: SetupOptions): CacheLike;
  get(key: string, defaultValue?: unknown): Promise<unknown>;
  set(key: string, value: unknown, options?: SetOptions): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  getOrSet(key: string, factory: () => unknown, options?: TtlOptions & { tags?: string[] }): Promise<unknown>;
  getMany(keys: string[], defaultValue?: unknown): Promise<readonly unknown[]>;
  setMany(entries: [string, unknown][] | Record<string, unknown>, options?: TtlOptions): Promise<unknown>;
  getMatch(pattern: string): AsyncIterable<readonly [string, unknown]>;
  scan(pattern: string): AsyncIterable<string>;
  incr(key: string, by?: number, options?: TtlOptions): Promise<number>;
  delete(key: string): Promise<boolean>;
  deleteMany(keys: string[]): Promise<number>;
  deleteMatch(pattern: string): Promise<number>;
  expire(key: string, ttl: Duration): Promise<boolean>;
  getExpire(key: string): Promise<number>;
  ping(message?: string): Promise<string>;
  clear(): Promise<unknown>;
  getKeysCount(): Promise<number>;
  close(): Promise<unknown>;
  setLock(key: string, token: string, ttl: Duration): Promise<boolean>;
  unlock(key: string, token: string): Promise<boolean>;
  isLocked(key: string, options?: { wait?: Duration; step?: Duration }): Promise<boolean>;
  lock(
    key: string,
    options: { ttl: Duration; wait?: Duration | boolean },
    fn: () => unknown,
  ): Promise<unknown>;
  setRaw(key: string, value: string): Promise<unknown>;
  getRaw(key: string): Promise<string | undefined>;
}

/** The exports of a runtime entry (`runtimes/*.ts`) the suites use. */
export interface IsocacheModule {
  readonly Cache: new () => CacheLike;
  readonly cache: CacheLike;
  readonly runtime: string;
  readonly CacheError: ErrorClass & { is(value: unknown): boolean };
  readonly CacheConfigError: ErrorClass;
  readonly CacheBackendError: ErrorClass;
  readonly LockedError: ErrorClass;
  readonly CacheValueError: ErrorClass;
  readonly CacheArgumentError: ErrorClass;
  parseDuration(text: string): number;
  /** Typed loosely so any plausible generic signature fits; see `RegisterType` for how the suite calls it. */
  readonly registerType: (...args: never[]) => unknown;
  memoryBackend(...args: never[]): unknown;
}

/** `registerType(Class, encode, decode)` as SPEC 4 describes it. */
export type RegisterType = <T>(
  type: new (...args: never[]) => T,
  encode: (value: T) => unknown,
  decode: (data: unknown) => T,
) => void;

/** One storage product on one runtime, as the backend suite runs it. */
export interface SuiteTarget {
  /** Backend name shown in test titles: `memory`, `redis`, `upstash`, `kv`, `idb`, `fs`. */
  name: string;
  /** The namespace of the runtime entry under test: `import * as lib from "../../../runtimes/node"`. */
  lib: IsocacheModule;
  /**
   * A fresh, empty storage to pass to `cache.setup(storage, options)`: a URL string, a
   * `Backend` object, or a list of those (tiers). Each call must return storage independent of every other one returned
   * since the last `cleanup` (the routing tests use three at once); the same value passed to
   * several caches must share one storage (the signing and lock tests rely on it).
   */
  create(): unknown | Promise<unknown>;
  /** Called after every test, after the test's caches are closed: drop what `create` made. */
  cleanup?(): Promise<void>;
  /** Smallest TTL the storage honours natively, in milliseconds; informational only. */
  minTtlMs?: number;
  /**
   * Factor on the real-time TTLs and windows of the suites' timing tests; default 1. Each command
   * to an HTTP backend (Upstash through the gateway) or to IndexedDB/miniflare KV is a round trip
   * of tens of ms, over 100 ms on a loaded machine, so a 150 ms TTL can end before the few steps
   * that must see it running are done. Only those targets raise it; what is asserted is the same.
   */
  timeScale?: number;
}
