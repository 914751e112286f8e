import { describe, expect, it } from "vitest";
import { Cache, CacheConfigError, RateLimitError } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A cache on a fake clock: the memory backend's TTLs and the strategies' timestamps both follow `clock.t`. */
function setup() {
  const clock = { t: 1_000_000, now: () => clock.t };
  return { cache: new Cache({ clock }), clock };
}

/** Calls `fn` `times` times in sequence; returns how many resolved before the first RateLimitError. */
async function passes(fn: () => Promise<unknown>, times: number): Promise<number> {
  for (let i = 0; i < times; i++) {
    try {
      await fn();
    } catch (error) {
      if (error instanceof RateLimitError) return i;
      throw error;
    }
  }
  return times;
}

describe("rateLimit", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9])(
    "lets %i calls through and refuses the next within the period",
    async (n) => {
      const { cache } = setup();
      let runs = 0;
      const ping = cache.rateLimit({ limit: n, period: "1m" })(async function ping(host: string) {
        runs++;
        return `pong ${host}`;
      });
      for (let i = 0; i < n; i++) expect(await ping("a")).toBe("pong a");
      const refused = ping("a");
      await expect(refused).rejects.toBeInstanceOf(RateLimitError);
      await expect(refused).rejects.toThrow(
        new RegExp(`more than ${n} ${n === 1 ? "call" : "calls"} within 1 minute: retry in \\d+ ms`),
      );
      expect(runs).toBe(n);
    },
  );

  it.each([
    [1, 1, "more than 1 call within 1 ms"],
    [1, 1000, "more than 1 call within 1 second"],
    [2, 2000, "more than 2 calls within 2 seconds"],
    [5, 90_000, "more than 5 calls within 90 seconds"],
    [3, 1500, "more than 3 calls within 1500 ms"],
    [10, 7_200_000, "more than 10 calls within 2 hours"],
    [1, 86_400_000, "more than 1 call within 1 day"],
  ])("says it in words: limit %i, period %i ms", async (limit, period, words) => {
    const { cache } = setup();
    const ping = cache.rateLimit({ limit, period })(async function ping() {
      return "pong";
    });
    for (let i = 0; i < limit; i++) await ping();
    const error = await ping().catch((reason: unknown) => reason);
    expect((error as Error).message).toContain(`[rateLimit(ping)] ${words}: retry in `);
  });

  it("counts per key, says when to retry, and opens a new window when the period ends", async () => {
    const { cache, clock } = setup();
    const login = cache.rateLimit({ limit: 2, period: "1s", key: "login:{ip}" })(
      async (ip: string, user: string) => `${ip}/${user}`,
    );
    expect(await passes(() => login("1.1.1.1", "ada"), 5)).toBe(2);
    expect(await passes(() => login("2.2.2.2", "bob"), 5)).toBe(2);
    clock.t += 400;
    await expect(login("1.1.1.1", "eve")).rejects.toThrow(/retry in 600 ms/);
    clock.t += 600;
    expect(await login("1.1.1.1", "eve")).toBe("1.1.1.1/eve");
    expect(await login.key("1.1.1.1", "x")).toBe("login:1.1.1.1");
  });

  it("returns action(...args) instead of throwing, without running the function", async () => {
    const { cache } = setup();
    let runs = 0;
    const search = cache.rateLimit({
      limit: 1,
      period: "1m",
      key: "search",
      action: (q: string) => `slow down (${q})`,
    })(async function search(q: string) {
      runs++;
      return [q];
    });
    expect(await search("x")).toEqual(["x"]);
    expect(await search("y")).toBe("slow down (y)");
    expect(runs).toBe(1);
  });

  it("with ttl bans the key for ttl, past the end of the period, without extending the ban", async () => {
    const { cache, clock } = setup();
    const send = cache.rateLimit({ limit: 2, period: "1s", ttl: "5s" })(async function send(to: string) {
      return to;
    });
    expect(await passes(() => send("ada"), 3)).toBe(2);
    await expect(send("ada")).rejects.toThrow(
      /banned for 5 seconds after more than 2 calls within 1 second: retry in 5000 ms/,
    );
    clock.t += 2000; // the window has ended, the ban has not
    await expect(send("ada")).rejects.toThrow(/retry in 3000 ms/);
    expect(await send("bob")).toBe("bob");
    clock.t += 2999;
    await expect(send("ada")).rejects.toBeInstanceOf(RateLimitError);
    clock.t += 1;
    expect(await passes(() => send("ada"), 3)).toBe(2);
  });

  it("lets exactly `limit` of many concurrent calls through", async () => {
    const { cache } = setup();
    const job = cache.rateLimit({ limit: 5, period: "1m" })(async function job() {
      return "ok";
    });
    const settled = await Promise.allSettled(Array.from({ length: 12 }, () => job()));
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(5);
    for (const s of settled) if (s.status === "rejected") expect(s.reason).toBeInstanceOf(RateLimitError);
  });

  it("invalidate lifts the limit and the ban; refresh calls straight through", async () => {
    const { cache } = setup();
    let runs = 0;
    const op = cache.rateLimit({ limit: 1, period: "1m", ttl: "1h" })(async function op(id: number) {
      return ++runs + id;
    });
    await op(1);
    await expect(op(1)).rejects.toBeInstanceOf(RateLimitError);
    expect(await op.refresh(1)).toBe(3);
    expect(await op.invalidate(1)).toBe(true);
    expect(await op(1)).toBe(4);
    expect(op.stats()).toMatchObject({ loads: 3 });
  });

  it("keeps counting inside a transaction that rolls back, and hides its counters from scan", async () => {
    const { cache } = setup();
    const op = cache.rateLimit({ limit: 1, period: "1m" })(async function op() {
      return 1;
    });
    await expect(
      cache.transaction(async () => {
        await op();
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    await expect(op()).rejects.toBeInstanceOf(RateLimitError);
    const keys: string[] = [];
    for await (const key of cache.scan("*")) keys.push(key);
    expect(keys).toEqual([]);
  });

  it("calls straight through while the cache is disabled", async () => {
    const { cache } = setup();
    const op = cache.rateLimit({ limit: 1, period: "1m" })(async function op() {
      return "ran";
    });
    await op();
    expect(await cache.disabling(() => Promise.all([op(), op(), op()]))).toEqual(["ran", "ran", "ran"]);
    await expect(op()).rejects.toBeInstanceOf(RateLimitError);
  });

  it("works as a method decorator (TC39 and legacy calling conventions)", async () => {
    // Node cannot parse decorator syntax, so each proposal's call is made by hand.
    const { cache } = setup();
    class Api {
      calls = 0;
      async get(path: string) {
        this.calls++;
        return path;
      }
    }
    const original = Api.prototype.get;
    const context = { kind: "method", name: "get" } as ClassMethodDecoratorContext;
    Api.prototype.get = cache.rateLimit({ limit: 1, period: "1m", key: "api:{path}" })(original, context);
    const api = new Api();
    expect(await api.get("/a")).toBe("/a");
    await expect(api.get("/a")).rejects.toBeInstanceOf(RateLimitError);
    expect(await api.get("/b")).toBe("/b");
    expect(api.calls).toBe(2);
    const descriptor = { value: original, writable: true, configurable: true };
    Object.defineProperty(
      Api.prototype,
      "get",
      cache.rateLimit({ limit: 1, period: "1m" })(Api.prototype, "get", descriptor),
    );
    expect(await api.get("/c")).toBe("/c");
    await expect(api.get("/c")).rejects.toBeInstanceOf(RateLimitError);
  });

  it("lifts after the period in real time", async () => {
    const cache = new Cache();
    const op = cache.rateLimit({ limit: 2, period: "100ms" })(async function op() {
      return "ok";
    });
    expect(await passes(op, 3)).toBe(2);
    await sleep(160);
    expect(await passes(op, 3)).toBe(2);
  });

  it("throws CacheConfigError when wrapped with bad options", () => {
    const cache = new Cache();
    const named = async function named(id: string) {
      return id;
    };
    const wrap =
      (options: Parameters<Cache["rateLimit"]>[0], fn: (...args: never[]) => unknown = named) =>
      () =>
        cache.rateLimit(options)(fn);
    for (const limit of [0, -1, 1.5, Number.NaN])
      expect(wrap({ limit, period: "1s" })).toThrow(CacheConfigError);
    for (const period of [0, "0s", "1x", ""]) expect(wrap({ limit: 1, period })).toThrow(CacheConfigError);
    expect(wrap({ limit: 1, period: "1s", ttl: 0 })).toThrow(/`ttl` must be positive/);
    expect(wrap({ limit: 1, period: "1s", key: "user:{nope}" })).toThrow(CacheConfigError);
    expect(wrap({ limit: 1, period: "1s" }, async () => 1)).toThrow(/anonymous/);
    expect(wrap({ limit: 1, period: "1s", action: "no" as never })).toThrow(/`action` must be a function/);
    expect(wrap({ limit: 1, period: "1s", key: "user:{id}" })).not.toThrow();
  });
});

describe("sliceRateLimit", () => {
  it("lifts the limit exactly as the oldest call leaves the window", async () => {
    const { cache, clock } = setup();
    let runs = 0;
    const send = cache.sliceRateLimit({ limit: 3, period: "1s" })(async function send(to: string) {
      runs++;
      return to;
    });
    const start = clock.t;
    for (const at of [0, 100, 200]) {
      clock.t = start + at;
      expect(await send("ada")).toBe("ada");
    }
    clock.t = start + 300;
    await expect(send("ada")).rejects.toThrow(/more than 3 calls within the last second: retry in 700 ms/);
    clock.t = start + 999;
    await expect(send("ada")).rejects.toThrow(/retry in 1 ms/);
    expect(await send("bob")).toBe("bob");
    clock.t = start + 1000; // the call at 0 leaves the window
    expect(await send("ada")).toBe("ada");
    clock.t = start + 1099;
    await expect(send("ada")).rejects.toBeInstanceOf(RateLimitError);
    clock.t = start + 1100;
    expect(await send("ada")).toBe("ada");
    expect(runs).toBe(6);
  });

  it("slides where a fixed window would reset, and does not record refused calls", async () => {
    const { cache, clock } = setup();
    const op = cache.sliceRateLimit({ limit: 2, period: "1s" })(async function op() {
      return "ok";
    });
    const start = clock.t;
    clock.t = start + 900;
    expect(await passes(op, 2)).toBe(2);
    clock.t = start + 1100; // a fixed window aligned on the first second would have reset here
    await expect(op()).rejects.toBeInstanceOf(RateLimitError);
    for (let i = 0; i < 5; i++) await expect(op()).rejects.toBeInstanceOf(RateLimitError);
    clock.t = start + 1900;
    expect(await passes(op, 3)).toBe(2);
  });

  it("admits exactly `limit` of many concurrent calls", async () => {
    const { cache } = setup();
    const op = cache.sliceRateLimit({ limit: 4, period: "1m", key: "op" })(async () => "ok");
    const settled = await Promise.allSettled(Array.from({ length: 10 }, () => op()));
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(4);
  });

  it("returns action(...args) when refused, and invalidate clears the window", async () => {
    const { cache } = setup();
    const op = cache.sliceRateLimit({ limit: 1, period: "1m", action: (n: number) => -n })(async function op(
      n: number,
    ) {
      return n;
    });
    expect(await op(5)).toBe(5);
    expect(await op(5)).toBe(-5);
    expect(await op.invalidate(5)).toBe(true);
    expect(await op(5)).toBe(5);
  });

  it("lifts as the oldest call leaves the window in real time", async () => {
    const cache = new Cache();
    const op = cache.sliceRateLimit({ limit: 2, period: "300ms" })(async function op() {
      return "ok";
    });
    const started = Date.now();
    await op(); // t ≈ 0, leaves at 300
    await sleep(150);
    await op(); // t ≈ 150, leaves at 450
    await expect(op()).rejects.toBeInstanceOf(RateLimitError);
    await sleep(Math.max(0, started + 330 - Date.now()));
    expect(await op()).toBe("ok");
    await expect(op()).rejects.toBeInstanceOf(RateLimitError);
  });

  it("throws CacheConfigError when wrapped with bad options", () => {
    const cache = new Cache();
    const fn = async function fn(id: string) {
      return id;
    };
    expect(() => cache.sliceRateLimit({ limit: 0, period: "1s" })(fn)).toThrow(CacheConfigError);
    expect(() => cache.sliceRateLimit({ limit: 1, period: 0 })(fn)).toThrow(CacheConfigError);
    expect(() => cache.sliceRateLimit({ limit: 1, period: "1s", key: "{missing}" })(fn)).toThrow(
      CacheConfigError,
    );
    expect(() => cache.sliceRateLimit({ limit: 1, period: "1s" })(async () => 1)).toThrow(CacheConfigError);
  });
});
