import type { CacheLike, IsocacheModule, SetupOptions, SuiteTarget, TestApi } from "./types";

/** Per-suite helpers: fresh storage per call, and every cache a test opens is closed after it. */
export interface Harness {
  readonly t: TestApi;
  readonly lib: IsocacheModule;
  readonly target: SuiteTarget;
  /** A fresh, empty storage from the target. */
  store(): Promise<unknown>;
  /** A new `Cache` without setup, closed after the test. */
  cache(): CacheLike;
  /** A new `Cache` set up on `store` (shared with any other cache given the same store). */
  attach(store: unknown, options?: SetupOptions): CacheLike;
  /** A new `Cache` on a fresh storage. */
  open(options?: SetupOptions): Promise<CacheLike>;
}

/** Builds the harness and registers its `afterEach`; call inside the suite's `describe`. */
export function createHarness(t: TestApi, target: SuiteTarget): Harness {
  let opened: CacheLike[] = [];
  t.afterEach(async () => {
    const caches = opened;
    opened = [];
    // Close every cache even when one fails, then report the first failure.
    const results = await Promise.allSettled(caches.map((cache) => cache.close()));
    await target.cleanup?.();
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  });
  const harness: Harness = {
    t,
    lib: target.lib,
    target,
    store: async () => target.create(),
    cache() {
      const cache = new target.lib.Cache();
      opened.push(cache);
      return cache;
    },
    attach: (store, options) => harness.cache().setup(store, options),
    open: async (options) => harness.attach(await harness.store(), options),
  };
  return harness;
}

/** A default no stored value can equal, so a hit and a miss are never confused. */
export const MISS: unique symbol = Symbol("isocache-conformance-miss");

/** The short TTL of the real-time tests, and how long they wait for it to end (a wide margin). */
export const SHORT_TTL_MS = 150;
export const AFTER_SHORT_TTL_MS = 450;

/** `ms` times the target's `timeScale`. */
export function scaled(target: SuiteTarget, ms: number): number {
  return ms * (target.timeScale ?? 1);
}

/** The short TTL for `target` and how long to wait for it to end: the TTL plus the same 300 ms margin. */
export function shortTtl(target: SuiteTarget): { ttlMs: number; afterMs: number } {
  const ttlMs = scaled(target, SHORT_TTL_MS);
  return { ttlMs, afterMs: ttlMs + AFTER_SHORT_TTL_MS - SHORT_TTL_MS };
}

/** A real-time window that opened when it was made (a TTL, a rate-limit period, an open circuit). */
export interface Deadline {
  /** Milliseconds since the window opened, on the clock it was made with. */
  elapsed(): number;
  /** Throws `TooSlow` when the window has closed: call after a step whose result needs it still open, before asserting on it. */
  check(): void;
}

/** Thrown by `Deadline.check`: a step outran the window it depended on, so the attempt proves nothing. */
export class TooSlow extends Error {
  constructor(what: string, ms: number, elapsed: number) {
    super(`${what}: the steps took ${elapsed} ms of a ${ms} ms window`);
    this.name = "TooSlow";
  }
}

/**
 * Runs a real-time scenario whose checks hold only while a window is still open, retrying it only
 * when a `Deadline` measured that a step outran its window (a loaded machine can stall any step
 * for a few hundred ms). An assertion failure is never retried, so a broken feature still fails;
 * `body` gets the attempt number so each attempt uses fresh keys, and a clock (default `Date.now`)
 * for its deadlines, so time a test moved on an injected clock counts against them too.
 */
export async function inTime(
  what: string,
  body: (attempt: number, deadline: (ms: number) => Deadline) => Promise<void>,
  options: { attempts?: number; clock?: { now(): number } } = {},
): Promise<void> {
  const { attempts = 3, clock = { now: () => Date.now() } } = options;
  const slow: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    const deadline = (ms: number): Deadline => {
      const opened = clock.now();
      const elapsed = () => clock.now() - opened;
      return {
        elapsed,
        check() {
          const took = elapsed();
          if (took >= ms) throw new TooSlow(what, ms, took);
        },
      };
    };
    try {
      return await body(attempt, deadline);
    } catch (error) {
      if (!(error instanceof TooSlow)) throw error;
      slow.push(error.message);
    }
  }
  throw new Error(`every attempt was too slow for its real-time window: ${slow.join("; ")}`);
}

/** Waits `ms` milliseconds; `setTimeout` exists on every runtime the suite runs on. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The keys `scan(pattern)` yields, sorted (iteration order is unspecified). */
export async function scanSorted(cache: CacheLike, pattern: string): Promise<string[]> {
  return (await collect(cache.scan(pattern))).sort();
}

/** The pairs `getMatch(pattern)` yields, sorted by key. */
export async function matchSorted(
  cache: CacheLike,
  pattern: string,
): Promise<(readonly [string, unknown])[]> {
  const pairs = await collect(cache.getMatch(pattern));
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Raised in place of an error a promise-returning call threw synchronously. */
export class ThrewSynchronously extends Error {
  constructor(cause: unknown) {
    super(`the call threw synchronously instead of returning a rejected promise: ${String(cause)}`, {
      cause,
    });
    this.name = "ThrewSynchronously";
  }
}

/**
 * Calls a promise-returning `fn`; a synchronous throw becomes a rejection with
 * `ThrewSynchronously`, so `rejects.toThrow(TypeError)` checks both the class and the channel.
 */
export function attempt(fn: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(new ThrewSynchronously(error));
  }
}

/** The error `fn`'s promise rejects with; fails the test when it resolves. */
export async function rejection(fn: () => unknown): Promise<unknown> {
  try {
    await attempt(fn);
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to reject, but it resolved");
}

/** The error `fn` throws synchronously; fails the test when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw synchronously, but it returned");
}

/** Milliseconds `fn` took, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await fn();
  return [result, Date.now() - started];
}

/**
 * Runs one of several checks that share a real-time wait; a failure names its scenario, since
 * the scenarios of one test run concurrently to keep the suite fast.
 */
export async function scenario(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof Error) error.message = `[${name}] ${error.message}`;
    throw error;
  }
}

/** Asserts `ms` is a TTL reading between `low` and `high` milliseconds, inclusive. */
export function expectMsBetween(t: TestApi, ms: unknown, low: number, high: number): void {
  t.expect(typeof ms).toBe("number");
  t.expect(ms).toBeGreaterThanOrEqual(low);
  t.expect(ms).toBeLessThanOrEqual(high);
}

/** Asserts `error` is an isocache error of `cls` with an `E_*` code. */
export function expectCacheError(
  h: Harness,
  error: unknown,
  cls: abstract new (...args: never[]) => unknown,
): void {
  h.t.expect(error).toBeInstanceOf(cls);
  h.t.expect(error).toBeInstanceOf(h.lib.CacheError);
  h.t.expect(error).toBeInstanceOf(Error);
  const code = (error as { code?: unknown }).code;
  h.t.expect(typeof code).toBe("string");
  h.t.expect(code).toMatch(/^E_[A-Z_]+$/);
}
