import { describe, expect, it } from "vitest";
import { Cache, CacheConfigError } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Flaky extends Error {}
class Fatal extends Error {}

describe("failover", () => {
  function setup(exceptions?: (abstract new (...args: never[]) => unknown)[]) {
    const cache = new Cache();
    const state: { fail: Error | undefined; calls: number } = { fail: undefined, calls: 0 };
    const options = exceptions === undefined ? { ttl: "1m" } : { ttl: "1m", exceptions };
    const rate = cache.failover(options)(async function rate(currency: string) {
      state.calls++;
      if (state.fail !== undefined) throw state.fail;
      return `${currency}:${state.calls}`;
    });
    return { cache, state, rate };
  }

  it("always calls through, stores successes and falls back on a listed error", async () => {
    const { cache, state, rate } = setup([Flaky]);
    expect(await rate("eur")).toBe("eur:1");
    expect(await rate("eur")).toBe("eur:2");
    expect(await cache.get(await rate.key("eur"))).toBe("eur:2");
    state.fail = new Flaky("down");
    const { result, calls } = await cache.detect(() => rate("eur"));
    expect(result).toBe("eur:2");
    expect(
      Object.values(calls)
        .flat()
        .map((call) => call.name),
    ).toEqual(["failover"]);
    expect(state.calls).toBe(3);
    expect(rate.stats()).toMatchObject({ hits: 1, loads: 2, loadFailures: 1 });
  });

  it("rethrows when nothing is stored, and rethrows unlisted errors at once", async () => {
    const { state, rate } = setup([Flaky]);
    state.fail = new Flaky("down");
    await expect(rate("usd")).rejects.toBeInstanceOf(Flaky);
    state.fail = undefined;
    await rate("usd");
    state.fail = new Fatal("bug");
    await expect(rate("usd")).rejects.toBeInstanceOf(Fatal);
  });

  it("uses the cache's default exceptions (read on each call), and any error when there are none", async () => {
    const { cache, state, rate } = setup();
    await rate("gbp");
    state.fail = new Fatal("any");
    expect(await rate("gbp")).toBe("gbp:1");
    cache.setDefaultFailExceptions(Flaky);
    await expect(rate("gbp")).rejects.toBeInstanceOf(Fatal);
    state.fail = new Flaky("listed");
    expect(await rate("gbp")).toBe("gbp:1");
  });

  it("serves no fallback inside invalidateFurther", async () => {
    const { cache, state, rate } = setup();
    await rate("chf");
    state.fail = new Flaky("down");
    await expect(cache.invalidateFurther(() => rate("chf"))).rejects.toBeInstanceOf(Flaky);
  });

  it("refuses bad options when wrapping", () => {
    const cache = new Cache();
    const fn = async function f() {
      return 1;
    };
    expect(() => cache.failover({ ttl: "1m", exceptions: ["x" as never] })(fn)).toThrow(CacheConfigError);
    expect(() => cache.failover({ ttl: "1m", lock: true })(fn)).toThrow(CacheConfigError);
    expect(() => cache.failover({ ttl: -1 })(fn)).toThrow(CacheConfigError);
  });
});

describe("hit", () => {
  function counted(cache: Cache, options: { cacheHits: number; updateAfter?: number }, delayMs = 0) {
    let version = 0;
    const top = cache.hit({ ttl: "1m", ...options })(async function top(list: string) {
      version++;
      const mine = version;
      if (delayMs > 0) await sleep(delayMs);
      return `${list}:v${mine}`;
    });
    return { top, computed: () => version };
  }

  it("serves a computed value cacheHits times after computing it, then recomputes", async () => {
    const { top, computed } = counted(new Cache(), { cacheHits: 3 });
    const seen: string[] = [];
    for (let call = 0; call < 9; call++) seen.push(await top("a"));
    expect(seen).toEqual(["a:v1", "a:v1", "a:v1", "a:v1", "a:v2", "a:v2", "a:v2", "a:v2", "a:v3"]);
    expect(computed()).toBe(3);
    expect(top.stats()).toMatchObject({ hits: 6, misses: 3, loads: 3 });
  });

  it("computes once per cacheHits + 1 calls under concurrency, hits waiting for their cycle's value", async () => {
    const { top, computed } = counted(new Cache(), { cacheHits: 4 }, 20);
    const results = await Promise.all(Array.from({ length: 20 }, () => top("b")));
    expect(computed()).toBe(4);
    const counts = new Map<string, number>();
    for (const result of results) counts.set(result, (counts.get(result) ?? 0) + 1);
    expect([...counts.values()].every((count) => count <= 5)).toBe(true);
  });

  it("refreshes in the background after updateAfter hits while still serving", async () => {
    const cache = new Cache();
    const { top, computed } = counted(cache, { cacheHits: 3, updateAfter: 2 });
    const pending: Promise<unknown>[] = [];
    const inRequest = <T>(fn: () => T) => cache.withRequest({ waitUntil: (work) => pending.push(work) }, fn);
    expect(await inRequest(() => top("c"))).toBe("c:v1");
    expect(await inRequest(() => top("c"))).toBe("c:v1");
    expect(await inRequest(() => top("c"))).toBe("c:v1"); // hit 2 starts the refresh
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(computed()).toBe(2);
    // The refreshed value starts a new cycle: hit 2 of it refreshes again.
    pending.length = 0;
    expect([await inRequest(() => top("c")), await inRequest(() => top("c"))]).toEqual(["c:v2", "c:v2"]);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(await top("c")).toBe("c:v3");
    expect(computed()).toBe(3);
  });

  it("records hits for detect, forces a recompute inside invalidateFurther, and resets on invalidate", async () => {
    const cache = new Cache();
    const { top, computed } = counted(cache, { cacheHits: 5 });
    await top("d");
    const { calls } = await cache.detect(() => top("d"));
    expect(calls[await top.key("d")]?.[0]?.name).toBe("hit");
    expect(await cache.invalidateFurther(() => top("d"))).toBe("d:v2");
    expect(await top("d")).toBe("d:v2");
    expect(await top.invalidate("d")).toBe(true);
    expect(await top("d")).toBe("d:v3");
    expect(computed()).toBe(3);
  });

  it("serves a value computed late in the counter's life its cacheHits times, however old the counter", async () => {
    let now = Date.now();
    const cache = new Cache({ clock: { now: () => now } });
    let version = 0;
    const top = cache.hit({ ttl: "1s", cacheHits: 2 })(async function top() {
      version++;
      return `v${version}`;
    });
    expect([await top(), await top(), await top()]).toEqual(["v1", "v1", "v1"]);
    now += 600;
    expect(await top()).toBe("v2"); // a new cycle, stored for 1 s from now
    now += 600; // the first cycle's second is over, v2 has 400 ms left
    expect([await top(), await top()]).toEqual(["v2", "v2"]);
    expect(await top()).toBe("v3");
    expect(version).toBe(3);
  });

  it("refuses bad counts when wrapping", () => {
    const cache = new Cache();
    const fn = async function f() {
      return 1;
    };
    for (const cacheHits of [0, -1, 1.5, Number.NaN, undefined]) {
      expect(() => cache.hit({ ttl: "1m", cacheHits: cacheHits as number })(fn)).toThrow(CacheConfigError);
    }
    expect(() => cache.hit({ ttl: "1m", cacheHits: 3, updateAfter: 4 })(fn)).toThrow(CacheConfigError);
    expect(() => cache.hit({ ttl: "1m", cacheHits: 3, updateAfter: 0 })(fn)).toThrow(CacheConfigError);
  });
});

describe("every strategy of this group", () => {
  const fn = async function calc(n: number) {
    return n * 2;
  };
  type Key = string | ((n: number) => string);
  const factories = {
    failover: (cache: Cache, key: Key) => cache.failover({ ttl: "1m", key }),
    hit: (cache: Cache, key: Key) => cache.hit({ ttl: "1m", cacheHits: 2, key }),
    early: (cache: Cache, key: Key) => cache.early({ ttl: "1m", earlyTtl: "30s", key }),
    soft: (cache: Cache, key: Key) => cache.soft({ ttl: "1m", softTtl: "30s", key }),
    locked: (cache: Cache, key: Key) => cache.locked({ ttl: "1m", key }),
  };

  for (const [name, make] of Object.entries(factories)) {
    it(`${name}: calls straight through while the cache is disabled`, async () => {
      const cache = new Cache();
      let calls = 0;
      const wrapped = make(
        cache,
        "k:{n}",
      )(async function calc(n: number) {
        calls++;
        return n + calls;
      });
      await cache.disabling(async () => {
        expect(await wrapped(1)).toBe(2);
        expect(await wrapped(1)).toBe(3);
      });
      expect(await cache.get("k:1")).toBeUndefined();
      expect(wrapped.stats().loads).toBe(2);
    });

    it(`${name}: computes the key once per call`, async () => {
      let keys = 0;
      const wrapped = make(new Cache(), (n) => {
        keys++;
        return `k:${n}`;
      })(fn);
      expect(await wrapped(3)).toBe(6);
      expect(keys).toBe(1);
      expect(await wrapped(3)).toBe(6);
      expect(keys).toBe(2);
    });

    it(`${name}: works as a method decorator (TC39 and legacy calling conventions)`, async () => {
      // Node cannot parse decorator syntax and vitest's transform lowers legacy decorators only,
      // so the decorators are applied the way each proposal calls them.
      class Calc {
        factor = 3;
        async times(n: number) {
          return n * this.factor;
        }
      }
      const original = Calc.prototype.times;
      const context = { kind: "method", name: "times" } as ClassMethodDecoratorContext;
      Calc.prototype.times = make(new Cache(), "m:{n}")(original, context);
      expect(await new Calc().times(4)).toBe(12);
      expect(await new Calc().times(4)).toBe(12);
      const descriptor = Object.getOwnPropertyDescriptor(Calc.prototype, "times") as PropertyDescriptor;
      descriptor.value = original;
      Object.defineProperty(
        Calc.prototype,
        "times",
        make(new Cache(), "l:{n}")(Calc.prototype, "times", descriptor),
      );
      expect(await new Calc().times(5)).toBe(15);
    });
  }

  it("refuse a negative or malformed ttl when wrapping", () => {
    const cache = new Cache();
    for (const ttl of [-5, "soon"]) {
      expect(() => cache.failover({ ttl })(fn)).toThrow(CacheConfigError);
      expect(() => cache.hit({ ttl, cacheHits: 1 })(fn)).toThrow(CacheConfigError);
      expect(() => cache.early({ ttl, earlyTtl: "1s" })(fn)).toThrow(CacheConfigError);
      expect(() => cache.soft({ ttl, softTtl: "1s" })(fn)).toThrow(CacheConfigError);
      expect(() => cache.iterator({ ttl })(async function* gen() {})).toThrow(CacheConfigError);
      expect(() => cache.locked({ ttl })(fn)).toThrow(CacheConfigError);
    }
  });
});

describe("lock: true when the read after taking the lock fails", () => {
  it("gives the lock back, so the next call loads at once instead of waiting out the lock's TTL", async () => {
    const commands: string[] = [];
    let armed = true;
    let failNextGet = false;
    const cache = new Cache().setup("mem://", {
      suppress: false,
      middlewares: [
        (call, next) => {
          commands.push(`${call.command} ${call.key}`);
          // Once: the read that checks no holder stored the value while the lock was being taken.
          if (call.command === "setLock" && armed) failNextGet = true;
          else if (call.command === "get" && call.key === "k" && failNextGet) {
            armed = false;
            failNextGet = false;
            return Promise.reject(new Error("read failed"));
          }
          return next();
        },
      ],
    });
    let calls = 0;
    const load = cache.cached({ ttl: "1m", key: "k", lock: true })(async () => ++calls);
    await expect(load()).rejects.toThrow("read failed");
    const locked = commands.lastIndexOf("setLock __isocache__:lock:k");
    expect(locked).toBeGreaterThanOrEqual(0);
    expect(commands[locked + 1]).toBe("get k");
    expect(await cache.isLocked("__isocache__:lock:k")).toBe(false);
    // The memory backend has no lock-and-read in one call: middlewares see one setLock, the real one.
    expect(commands.filter((one) => one.startsWith("setLock"))).toHaveLength(1);
    const started = Date.now();
    expect(await load()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
