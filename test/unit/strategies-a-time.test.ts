import { afterEach, describe, expect, it, vi } from "vitest";
import { Cache, CacheConfigError, withExceptions } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A clock that moves only when the test says: the cache reads it for earlyTtl/softTtl windows and
 * the default memory storage for TTLs, so no slow step on a loaded machine can cross a window.
 */
function manualClock() {
  let now = Date.now();
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Runs calls inside a request whose `waitUntil` collects the background work. */
function request(cache: Cache) {
  const pending: Promise<unknown>[] = [];
  return {
    pending,
    run: <T>(fn: () => T): T => cache.withRequest({ waitUntil: (work) => pending.push(work) }, fn),
    settle: () => Promise.all(pending),
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("early", () => {
  function versioned(cache: Cache, options: { ttl: string; earlyTtl: string }) {
    const state = { calls: 0, fail: false };
    const feed = cache.early(options)(async function feed(user: string) {
      state.calls++;
      const mine = state.calls;
      await sleep(10);
      if (state.fail) throw new Error("upstream down");
      return `${user}:v${mine}`;
    });
    return { state, feed };
  }

  it("a waitUntil that throws (the request already answered) does not fail the call; the refresh still runs", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, feed } = versioned(cache, { ttl: "300ms", earlyTtl: "100ms" });
    expect(await feed("ada")).toBe("ada:v1");
    clock.advance(150);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const late = {
      waitUntil: () => {
        throw new Error("waitUntil() called after the response was sent");
      },
    };
    expect(await cache.withRequest(late, () => feed("ada"))).toBe("ada:v1");
    await vi.waitFor(() => expect(state.calls).toBe(2));
    await vi.waitFor(async () => expect(await feed("ada")).toBe("ada:v2"));
    expect(warn.mock.calls.join("\n")).toMatch(/waitUntil\(\) called after the response was sent/);
  });

  it("after earlyTtl serves the old value to every caller and refreshes exactly once in the background", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, feed } = versioned(cache, { ttl: "300ms", earlyTtl: "100ms" });
    expect(await feed("ada")).toBe("ada:v1");
    clock.advance(99);
    expect(await feed("ada")).toBe("ada:v1");
    expect(state.calls).toBe(1);
    clock.advance(51);
    const scope = request(cache);
    const results = await scope.run(() => Promise.all(Array.from({ length: 10 }, () => feed("ada"))));
    expect(results).toEqual(Array(10).fill("ada:v1"));
    expect(scope.pending).toHaveLength(1);
    await scope.settle();
    expect(state.calls).toBe(2);
    expect(await feed("ada")).toBe("ada:v2");
    expect(state.calls).toBe(2);
  });

  it("stores { value, refreshAt } under the key and reports hits as early", async () => {
    const cache = new Cache();
    const { feed } = versioned(cache, { ttl: "1m", earlyTtl: "30s" });
    const before = Date.now();
    await feed("bob");
    const stored = (await cache.get(await feed.key("bob"))) as { value: string; refreshAt: number };
    expect(stored.value).toBe("bob:v1");
    expect(stored.refreshAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(stored.refreshAt).toBeLessThanOrEqual(Date.now() + 30_000);
    const { calls } = await cache.detect(() => feed("bob"));
    expect(Object.values(calls).flat()[0]?.name).toBe("early");
    expect(feed.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  it("keeps the value when the background refresh fails, and retries on the next call", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, feed } = versioned(cache, { ttl: "400ms", earlyTtl: "50ms" });
    await feed("cy");
    clock.advance(70);
    state.fail = true;
    const first = request(cache);
    expect(await first.run(() => feed("cy"))).toBe("cy:v1");
    await first.settle();
    expect(warn).toHaveBeenCalledTimes(1);
    state.fail = false;
    const second = request(cache);
    expect(await second.run(() => feed("cy"))).toBe("cy:v1");
    await second.settle();
    expect(await feed("cy")).toBe("cy:v3");
  });

  it("refreshes in the background without a waitUntil too, and recomputes inside invalidateFurther", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, feed } = versioned(cache, { ttl: "1s", earlyTtl: "40ms" });
    await feed("dee");
    clock.advance(60);
    expect(await feed("dee")).toBe("dee:v1");
    // Nothing awaits this refresh: poll until it lands (each poll shares the one in flight).
    await vi.waitFor(async () => expect(await feed("dee")).toBe("dee:v2"), { timeout: 5_000 });
    expect(state.calls).toBe(2);
    expect(await cache.invalidateFurther(() => feed("dee"))).toBe("dee:v3");
    expect(state.calls).toBe(3);
  });

  it("refuses missing, zero or too long earlyTtl when wrapping", () => {
    const cache = new Cache();
    const fn = async function f() {
      return 1;
    };
    expect(() => cache.early({ ttl: "1m" } as never)(fn)).toThrow(CacheConfigError);
    expect(() => cache.early({ ttl: "1m", earlyTtl: 0 })(fn)).toThrow(CacheConfigError);
    expect(() => cache.early({ ttl: "1m", earlyTtl: "1m" })(fn)).toThrow(CacheConfigError);
    expect(() => cache.early({ ttl: "1m", earlyTtl: "2m" })(fn)).toThrow(CacheConfigError);
    expect(() => cache.early({ earlyTtl: "2m" })(fn)).not.toThrow();
  });
});

describe("soft", () => {
  function controlled(cache: Cache) {
    const state = { calls: 0, fail: false };
    const prices = cache.soft({ ttl: "250ms", softTtl: "80ms" })(async function prices(market: string) {
      state.calls++;
      await sleep(5);
      if (state.fail) throw new Error(`call ${state.calls} failed`);
      return `${market}:v${state.calls}`;
    });
    return { state, prices };
  }

  it("recomputes after softTtl, serves the stale value when that throws, and propagates after ttl", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, prices } = controlled(cache);
    expect(await prices("nyse")).toBe("nyse:v1");
    expect(await prices("nyse")).toBe("nyse:v1");
    expect(state.calls).toBe(1);
    clock.advance(100); // stale, not expired
    state.fail = true;
    expect(await prices("nyse")).toBe("nyse:v1");
    expect(state.calls).toBe(2);
    state.fail = false;
    expect(await prices("nyse")).toBe("nyse:v3");
    expect(await prices("nyse")).toBe("nyse:v3");
    expect(state.calls).toBe(3);
    clock.advance(100); // v3 stale
    state.fail = true;
    expect(await prices("nyse")).toBe("nyse:v3");
    clock.advance(151); // v3 expired: 251 ms after it was stored
    await expect(prices("nyse")).rejects.toThrow("call 5 failed");
  });

  it("with withExceptions, a failing stale recompute serves the stale value and caches no error over it", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const state = { calls: 0, fail: false };
    class UpstreamError extends Error {}
    const prices = cache.soft({ ttl: "250ms", softTtl: "80ms", condition: withExceptions(UpstreamError) })(
      async function prices(market: string) {
        state.calls++;
        if (state.fail) throw new UpstreamError(`call ${state.calls} failed`);
        return `${market}:v${state.calls}`;
      },
    );
    expect(await prices("nyse")).toBe("nyse:v1");
    clock.advance(100); // stale, not expired
    state.fail = true;
    expect(await prices("nyse")).toBe("nyse:v1");
    // Still the stale value, and the source is asked again, not an error replayed from the cache.
    expect(await prices("nyse")).toBe("nyse:v1");
    expect(state.calls).toBe(3);
    state.fail = false;
    expect(await prices("nyse")).toBe("nyse:v4");
    // With no stale value to serve, the condition still caches the error.
    state.fail = true;
    clock.advance(251);
    await expect(prices("nyse")).rejects.toThrow("call 5 failed");
    await expect(prices("nyse")).rejects.toThrow("call 5 failed");
    expect(state.calls).toBe(5);
  });

  it("shares one recompute among concurrent stale callers", async () => {
    const clock = manualClock();
    const cache = new Cache({ clock });
    const { state, prices } = controlled(cache);
    await prices("lse");
    clock.advance(100);
    const results = await Promise.all(Array.from({ length: 8 }, () => prices("lse")));
    expect(results).toEqual(Array(8).fill("lse:v2"));
    expect(state.calls).toBe(2);
    expect(prices.stats()).toMatchObject({ loads: 2 });
  });

  it("stores { value, refreshAt } and refuses bad softTtl when wrapping", async () => {
    const cache = new Cache();
    const { prices } = controlled(cache);
    await prices("tse");
    expect(await cache.get(await prices.key("tse"))).toMatchObject({ value: "tse:v1" });
    const fn = async function f() {
      return 1;
    };
    expect(() => cache.soft({ ttl: "1m" } as never)(fn)).toThrow(CacheConfigError);
    expect(() => cache.soft({ ttl: "1m", softTtl: "90s" })(fn)).toThrow(CacheConfigError);
    expect(() => cache.soft({ ttl: "1m", softTtl: "-1s" })(fn)).toThrow(CacheConfigError);
  });
});
