import { afterEach, describe, expect, it, vi } from "vitest";
import { Cache, CacheBackendError, CacheConfigError, LockedError, memoryBackend } from "../../runtimes/node";

/** The longest delay a timer keeps; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

/** Records the delay of every timer set from now on; `stop` clears those still pending. */
function recordTimers() {
  const delays: number[] = [];
  const handles: ReturnType<typeof setTimeout>[] = [];
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    const handle = realSetTimeout(fn, ms);
    handles.push(handle);
    return handle;
  }) as typeof setTimeout);
  return {
    delays,
    stop() {
      vi.restoreAllMocks();
      for (const handle of handles) clearTimeout(handle);
    },
  };
}

describe("lock polling", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a step longer than a timer can wait sleeps the longest a timer can, not a busy poll", async () => {
    const cache = new Cache();
    await cache.setLock("held", "other", "40d");
    const timers = recordTimers();
    try {
      void cache.isLocked("held", { wait: "30d", step: "25d" });
      void cache.lock("held", { ttl: "40d", step: "25d" }, () => "ran");
      await sleep(100);
      expect(timers.delays.length).toBeLessThanOrEqual(2);
      expect(Math.max(...timers.delays)).toBe(MAX_TIMER_MS);
    } finally {
      timers.stop();
    }
  });

  it("step 0 is a CacheConfigError, as for `locked`, not a poll as fast as timers fire", async () => {
    const cache = new Cache();
    await cache.setLock("held", "other", "10s");
    const run = () => "ran";
    await expect(cache.lock("held", { ttl: "1s", wait: 200, step: 0 }, run)).rejects.toThrow(
      CacheConfigError,
    );
    await expect(cache.lock("held", { ttl: "1s", step: "0s" }, run)).rejects.toThrow(
      /`step` must be positive/,
    );
    await expect(cache.isLocked("held", { wait: 200, step: 0 })).rejects.toThrow(CacheConfigError);
    expect(await cache.isLocked("held", { wait: 0, step: 10 })).toBe(true);
  });
});

describe("lock when releasing fails", () => {
  /** A memory backend whose `unlock` (and its emulation's reads and deletes) fail while `down`. */
  function flakyUnlock() {
    const backend = memoryBackend();
    const state = { down: false };
    const failing = new Set(["unlock", "get", "delete"]);
    const flaky = new Proxy(backend, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        if (state.down && failing.has(String(name)))
          return () => Promise.reject(new Error("connection reset"));
        return value.bind(target);
      },
    });
    return { flaky, state };
  }

  /** A cache on `flakyUnlock`'s backend with `suppress: false`, and the messages its `onError` got. */
  function flakyCache() {
    const { flaky, state } = flakyUnlock();
    const reported: string[] = [];
    const cache = new Cache().setup(flaky, {
      suppress: false,
      onError: (error) => reported.push(error.message),
    });
    return { cache, state, reported };
  }

  it("keeps fn's own error when the release fails too (suppress: false), and reports the release failure", async () => {
    const { cache, state, reported } = flakyCache();
    const boom = new TypeError("the report query failed");
    const error = await cache
      .lock("report", { ttl: "5s" }, () => {
        state.down = true;
        throw boom;
      })
      .catch((caught: unknown) => caught);
    expect(error).toBe(boom);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/unlock/);
  });

  it("locked keeps the call's own error too when the release fails (suppress: false)", async () => {
    const { cache, state, reported } = flakyCache();
    const boom = new RangeError("the charge was declined");
    const charge = cache.locked({ ttl: "5s", key: "charge:{0}" })(async function charge(_id: string) {
      state.down = true;
      throw boom;
    });
    await expect(charge("o1")).rejects.toBe(boom);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(/unlock/);
  });

  it("lock: true keeps the load's own error too when the release fails (cached, and soft's stamped loads)", async () => {
    for (const make of [
      (cache: Cache) => cache.cached({ ttl: "1m", lock: true }),
      (cache: Cache) => cache.soft({ ttl: "1m", softTtl: "30s", lock: true }),
    ]) {
      const { cache, state, reported } = flakyCache();
      const boom = new RangeError("the upstream is down");
      const load = make(cache)(async function load(_id: string) {
        state.down = true;
        throw boom;
      });
      await expect(load("a")).rejects.toBe(boom);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatch(/unlock/);
    }
  });
});

describe("locked when the lock cannot be taken (suppress)", () => {
  /** A memory backend whose every method fails while `down`, behind a cache that suppresses. */
  function downCache() {
    const backend = memoryBackend();
    const state = { down: false };
    const flaky = new Proxy(backend, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        return state.down ? () => Promise.reject(new Error("connection refused")) : value.bind(target);
      },
    });
    const reported: string[] = [];
    const cache = new Cache().setup(flaky, { onError: (error) => reported.push(error.message) });
    return { cache, state, reported };
  }

  it("rejects with CacheBackendError at once, as lock does, not LockedError after waiting its ttl", async () => {
    const { cache, state, reported } = downCache();
    let runs = 0;
    const charge = cache.locked({ ttl: "20s", key: "charge:{0}" })(async function charge(_id: string) {
      runs++;
    });
    state.down = true;
    const started = Date.now();
    const error = await charge("o1").catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(/could not be taken: the backend failed/);
    expect(runs).toBe(0);
    expect(reported.length).toBeGreaterThan(0);
  });

  it("still says LockedError, naming the call's key, when another call holds the lock", async () => {
    const { cache } = downCache();
    let release: () => void = () => undefined;
    const charge = cache.locked({ ttl: "20s", wait: false, key: "charge:{0}" })(async function charge(
      _id: string,
    ) {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    const first = charge("o1");
    await sleep(10);
    const error = await charge("o1").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toBe(
      '[isocache] [locked(charge)] "charge:o1" is running in another call: retry later, or pass wait: true to wait for it',
    );
    release();
    await first;
  });

  it("a call that itself throws LockedError keeps it", async () => {
    const { cache } = downCache();
    const inner = new LockedError("[isocache] inner: held");
    const op = cache.locked({ ttl: "20s" })(async function op() {
      throw inner;
    });
    await expect(op()).rejects.toBe(inner);
  });
});
