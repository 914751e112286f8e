// Helpers of the strategy suite: a fresh cache per call on fresh storage, every cache closed after
// its test, and small async tools (gates, polling, bounded waits, command counters). The suite
// reaches the library only through `target.lib`, so it runs unchanged against any storage.
import type {
  AnyFn,
  CommandCallLike,
  MiddlewareLike,
  StrategyCacheLike,
  StrategyModule,
  StrategySetupOptions,
  StrategySuiteTarget,
} from "./strategy-types";
import type { AnyClass, TestApi } from "./types";

export { collect, inTime, MISS, rejection, scenario, sleep, thrown } from "./basic-harness";

/**
 * The clock of every cache a test opens: real time plus whatever the test `advance`d, so strategy
 * windows that run on the cache's clock (earlyTtl, softTtl, sliding rate-limit windows) are
 * crossed without waiting, while storage TTLs keep running in real time. Tests that advance it
 * use windows and TTLs of seconds, so real time alone cannot cross them on a loaded machine.
 */
export interface SteppedClock {
  now(): number;
  /** Moves this clock `ms` milliseconds ahead of real time (cumulative). */
  advance(ms: number): void;
}

/** A `SteppedClock` at real time. */
export function steppedClock(): SteppedClock {
  let ahead = 0;
  return {
    now: () => Date.now() + ahead,
    advance(ms) {
      ahead += ms;
    },
  };
}

/** Per-suite helpers for the strategy tests. */
export interface StrategyHarness {
  readonly t: TestApi;
  readonly lib: StrategyModule;
  readonly target: StrategySuiteTarget;
  /**
   * True where the entry has a real AsyncLocalStorage. The browser entry documents a fallback
   * (sequential scopes isolated, overlapping scopes share the newest), so tests of concurrent
   * scope isolation check that fallback there instead.
   */
  readonly hasAls: boolean;
  /** The current test's clock, shared by every cache it opens; fresh for each test. */
  readonly clock: SteppedClock;
  /** A fresh, empty storage from the target. */
  store(): Promise<unknown>;
  /** A new cache set up on `store` (caches given the same store share it); closed after the test. */
  attach(store: unknown, options?: StrategySetupOptions): StrategyCacheLike;
  /** A new cache on a fresh storage; closed after the test. */
  open(options?: StrategySetupOptions): Promise<StrategyCacheLike>;
}

/** Builds the harness and registers its `afterEach`; call inside the suite's `describe`. */
export function createStrategyHarness(t: TestApi, target: StrategySuiteTarget): StrategyHarness {
  let opened: StrategyCacheLike[] = [];
  let clock = steppedClock();
  t.afterEach(async () => {
    const caches = opened;
    opened = [];
    clock = steppedClock();
    const results = await Promise.allSettled(caches.map((cache) => cache.close()));
    await target.cleanup?.();
    const failed = results.find((result) => result.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  });
  const harness: StrategyHarness = {
    t,
    lib: target.lib,
    target,
    hasAls: target.lib.runtime !== "browser",
    get clock() {
      return clock;
    },
    store: async () => target.create(),
    attach(store, options) {
      const cache = new target.lib.Cache({ clock });
      opened.push(cache);
      return cache.setup(store, options);
    },
    open: async (options) => harness.attach(await harness.store(), options),
  };
  return harness;
}

/** A promise with its `resolve` exposed: a gate a test opens when it chooses. */
export interface Gate<T = void> {
  readonly promise: Promise<T>;
  open(value: T): void;
}

/** A closed gate. */
export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** `promise`, or a rejection naming `what` when it takes longer than `ms` (so a wait cannot hang a test). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `stepMs` until it is true; fails with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  // Generous: a poll returns as soon as its check holds, and a store on a loaded machine (a
  // file written and renamed while every test file runs) has been seen to take over a second.
  timeoutMs = 5_000,
  stepMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** A middleware that records every command reaching the backend, and the calls it saw. */
export function commandCounter(): { middleware: MiddlewareLike; calls: CommandCallLike[] } {
  const calls: CommandCallLike[] = [];
  return {
    calls,
    middleware: (call, next) => {
      calls.push(call);
      return next();
    },
  };
}

/** `n` copies of one call started together. */
export function concurrently<T>(
  n: number,
  call: (index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(Array.from({ length: n }, (_, index) => call(index)));
}

/** The values of the fulfilled results and the reasons of the rejected ones. */
export function split<T>(results: PromiseSettledResult<T>[]): { values: T[]; errors: unknown[] } {
  const values: T[] = [];
  const errors: unknown[] = [];
  for (const result of results) {
    if (result.status === "fulfilled") values.push(result.value);
    else errors.push(result.reason);
  }
  return { values, errors };
}

/** Asserts `error` is an isocache error of `cls` with an `E_*` code. */
export function expectCacheError(h: StrategyHarness, error: unknown, cls: AnyClass): void {
  h.t.expect(error).toBeInstanceOf(cls);
  h.t.expect(error).toBeInstanceOf(h.lib.CacheError);
  h.t.expect((error as { code?: unknown }).code).toMatch(/^E_[A-Z_]+$/);
}

/** A counter of executions with a function that reports `name:count` after an optional delay. */
export function counted(delayMs = 0): { runs: () => number; fn: AnyFn } {
  let runs = 0;
  return {
    runs: () => runs,
    fn: async function counter(id: unknown): Promise<string> {
      runs++;
      const run = runs;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return `${String(id)}:${run}`;
    },
  };
}

/** A custom error class the tests throw (not serialized: for in-process rejections only). */
export class Boom extends Error {
  constructor(message = "boom") {
    super(message);
    this.name = "Boom";
  }
}

/** Names a function explicitly, or strips its name (`""`), whatever the transpiler did. */
export function named<F extends AnyFn>(fn: F, name: string): F {
  Object.defineProperty(fn, "name", { value: name, configurable: true });
  return fn;
}
