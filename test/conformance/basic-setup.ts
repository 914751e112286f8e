import { expectCacheError, type Harness, MISS, rejection, sleep, thrown, timed } from "./basic-harness";

const RUNTIMES = ["node", "bun", "deno", "workerd", "browser", "default"];

const BAD_URLS: readonly (readonly [string, string, RegExp])[] = [
  ["an unknown scheme", "nope://x", /nope/],
  ["a malformed URL", "::::", /url/i],
  ["a malformed URL parameter", "mem://?size=abc", /size/],
  ["a URL parameter given twice", "mem://?size=10&size=20", /size is given more than once/],
  ["a decompressLimit that is not a byte count", "mem://?decompressLimit=1mb", /decompressLimit/],
];

/** Options objects `setup` refuses, and what the message says. */
const BAD_OPTIONS: readonly (readonly [string, unknown, RegExp])[] = [
  ["a misspelt option", { supress: false }, /unknown option `supress`.*did you mean `suppress`/],
  ["another misspelt option", { secrett: "s" }, /did you mean `secret`/],
  ["an unknown option", { retries: 3 }, /unknown option `retries`/],
  [
    'suppress: "false" (a string)',
    { suppress: "false" },
    /`suppress` option must be true or false, got "false"/,
  ],
  ['enable: "no"', { enable: "no" }, /`enable` option must be true or false/],
  ["onError that is not a function", { onError: "log" }, /`onError` option must be a function/],
  [
    "middlewares that are not functions",
    { middlewares: [1] },
    /`middlewares` option must be an array of functions/,
  ],
  [
    "a serializer without decode",
    { serializer: { encode: String } },
    /`serializer` option must be an object with encode/,
  ],
  ["decompressLimit: 0", { decompressLimit: 0 }, /`decompressLimit`.*positive number of bytes, got 0/],
  ['decompressLimit: "1mb"', { decompressLimit: "1mb" }, /`decompressLimit`.*got "1mb"/],
  ["options that are not an object", "prefix", /options must be an object, got "prefix"/],
];

const DURATIONS: readonly (readonly [string, number])[] = [
  ["500ms", 500],
  ["10s", 10_000],
  ["1m10s", 70_000],
  ["2h5m", 7_500_000],
  ["1d2h3m50s", 93_830_000],
];

const BAD_DURATIONS = ["1.5x", "1h30", "", "abc"];

const BACKEND_METHODS = [
  "close",
  "get",
  "set",
  "delete",
  "exists",
  "scan",
  "incr",
  "expire",
  "getExpire",
  "clear",
  "count",
  "ping",
  "getMany",
  "setMany",
  "deleteMany",
  "setLock",
  "unlock",
];

/** A `Backend` whose every call settles through `outcome` (a failure, or a promise that never settles). */
function faultyBackend(outcome: () => Promise<never>): object {
  const backend: Record<string, unknown> = {
    name: "faulty",
    capabilities: { nativeTtl: true, minTtlMs: 0, maxKeyBytes: 0, atomic: true, consistency: "strong" },
  };
  // No `close`: the harness closes every cache after the test, and that must not hang or fail.
  for (const method of BACKEND_METHODS) if (method !== "close") backend[method] = outcome;
  backend.scan = () => ({ [Symbol.asyncIterator]: () => ({ next: outcome }) });
  return backend;
}

const failing = () => Promise.reject(new Error("storage is down"));
const hanging = () => new Promise<never>(() => {});

/** `inner` (a Backend object) behind a new object whose `init` is `init`. */
function withInit(inner: object, init: () => Promise<void>): object {
  const source = inner as Record<string, unknown>;
  const outer: Record<string, unknown> = { name: source.name, capabilities: source.capabilities, init };
  for (const method of BACKEND_METHODS) {
    const fn = source[method];
    if (typeof fn === "function") outer[method] = fn.bind(inner);
  }
  return outer;
}

/** SPEC 2 (setup and its options), 3 (durations) and 9 (errors) through one runtime entry. */
export function setupTests(h: Harness): void {
  const { t } = h;

  t.describe("entry and errors", () => {
    t.it("runtime names the entry", () => {
      t.expect(RUNTIMES).toContain(h.lib.runtime);
    });

    t.it("cache is a Cache instance", () => {
      t.expect(h.lib.cache).toBeInstanceOf(h.lib.Cache);
    });

    t.it("every error class extends CacheError, which extends Error", () => {
      t.expect(h.lib.CacheError.prototype).toBeInstanceOf(Error);
      for (const cls of [
        h.lib.CacheConfigError,
        h.lib.CacheBackendError,
        h.lib.LockedError,
        h.lib.CacheValueError,
      ]) {
        t.expect(cls.prototype).toBeInstanceOf(h.lib.CacheError);
      }
    });
  });

  t.describe("setup", () => {
    t.it("a Cache never set up works on an in-memory default", async () => {
      const c = h.cache();
      t.expect(await c.set("k", 1)).toBe(true);
      t.expect(await c.get("k")).toBe(1);
    });

    t.it("setup returns the cache, so calls chain", async () => {
      const c = h.cache();
      t.expect(c.setup(await h.store())).toBe(c);
    });

    for (const [label, url, mentions] of BAD_URLS) {
      t.it(`setup throws CacheConfigError at once for ${label} ("${url}"), naming the problem`, () => {
        const error = thrown(() => h.cache().setup(url));
        expectCacheError(h, error, h.lib.CacheConfigError);
        t.expect((error as Error).message).toMatch(mentions);
      });
    }

    for (const [label, options, mentions] of BAD_OPTIONS) {
      t.it(`setup throws CacheConfigError at once for ${label}`, async () => {
        const store = await h.store();
        const error = thrown(() => h.cache().setup(store, options as never));
        expectCacheError(h, error, h.lib.CacheConfigError);
        t.expect((error as Error).message).toMatch(mentions);
      });
    }

    t.it("setup throws CacheConfigError at once for a malformed duration option", async () => {
      const store = await h.store();
      const error = thrown(() => h.cache().setup(store, { timeout: "1.5x" }));
      expectCacheError(h, error, h.lib.CacheConfigError);
      t.expect((error as Error).message).toMatch(/1\.5x|timeout/);
    });

    t.it("close() also closes a backend that a later setup of the same prefix replaced", async () => {
      const closed: string[] = [];
      const closing = (name: string) => {
        const outer = withInit(h.lib.memoryBackend() as object, async () => {}) as Record<string, unknown>;
        outer.close = async () => {
          closed.push(name);
        };
        return outer;
      };
      const c = h.cache();
      c.setup(closing("first"));
      c.setup(closing("second"));
      c.setup(closing("users-first"), { prefix: "users:" });
      c.setup(closing("users-second"), { prefix: "users:" });
      await c.set("users:1", 1);
      await c.set("k", 1);
      await c.close();
      t.expect([...closed].sort()).toStrictEqual(["first", "second", "users-first", "users-second"]);
      // A replaced backend is closed once; the ones in use are closed by every close().
      closed.length = 0;
      await c.close();
      t.expect([...closed].sort()).toStrictEqual(["second", "users-second"]);
    });

    t.it("the backend is initialised once, even when the first commands are concurrent", async () => {
      const store = await h.store();
      // A URL or a list of tiers is not one backend object to wrap: check the core with memory then.
      const single = typeof store === "object" && store !== null && !Array.isArray(store);
      const inner = single ? store : (h.lib.memoryBackend() as object);
      const innerInit = (inner as { init?: () => Promise<void> }).init?.bind(inner);
      let inits = 0;
      const c = h.attach(
        withInit(inner, async () => {
          inits++;
          await sleep(20);
          await innerInit?.();
        }),
      );
      await Promise.all([c.get("a"), c.set("b", 1), c.exists("c"), c.getMany(["d"]), c.ping()]);
      await c.get("b");
      t.expect(inits).toBe(1);
    });
  });

  t.describe("durations", () => {
    for (const [text, ms] of DURATIONS) {
      t.it(`parseDuration("${text}") is ${ms}`, () => {
        t.expect(h.lib.parseDuration(text)).toBe(ms);
      });
    }

    t.it("parseDuration throws CacheConfigError for malformed text", () => {
      for (const text of BAD_DURATIONS) {
        expectCacheError(
          h,
          thrown(() => h.lib.parseDuration(text)),
          h.lib.CacheConfigError,
        );
      }
    });
  });

  t.describe("options", () => {
    t.it("enable: false makes every read miss and every write a no-op", async () => {
      const store = await h.store();
      const on = h.attach(store);
      await on.set("seen", 1);
      const off = h.attach(store, { enable: false });
      t.expect(await off.get("seen", MISS)).toBe(MISS);
      t.expect(await off.exists("seen")).toBe(false);
      t.expect(await off.getMany(["seen"], MISS)).toEqual([MISS]);
      const matched: unknown[] = [];
      for await (const pair of off.getMatch("*")) matched.push(pair);
      t.expect(matched).toEqual([]);
      t.expect(await off.set("new", 2)).toBe(false);
      await off.setMany({ many: 3 });
      await off.delete("seen");
      let calls = 0;
      t.expect(await off.getOrSet("computed", () => ++calls)).toBe(1);
      t.expect(await off.getOrSet("computed", () => ++calls)).toBe(2);
      t.expect(await on.getMany(["seen", "new", "many", "computed"], MISS)).toEqual([1, MISS, MISS, MISS]);
    });

    t.it("compress: true round-trips a large string and stores it smaller", async () => {
      const c = await h.open({ compress: true });
      const big = Array.from(
        { length: 2000 },
        (_, i) => `line ${i % 40}: żółw 🐢 jumps over the lazy dog\n`,
      ).join("");
      await c.set("big", big);
      const got = await c.get("big");
      t.expect(typeof got).toBe("string");
      t.expect((got as string).length).toBe(big.length);
      t.expect(got === big).toBe(true);
      const raw = await c.getRaw("big");
      t.expect((raw as string).length).toBeLessThan(big.length / 4);
    });

    t.it("compress: true round-trips a small value and a large structured one", async () => {
      const c = await h.open({ compress: true });
      const large = {
        rows: Array.from({ length: 500 }, (_, i) => ({ i, when: new Date(i), tag: `row-${i % 7}` })),
      };
      await c.set("small", "tiny");
      await c.set("large", large);
      t.expect(await c.get("small")).toBe("tiny");
      t.expect(await c.get("large")).toStrictEqual(large);
    });

    t.it(
      "suppress (the default) turns backend failures into misses and no-ops, reported to onError",
      async () => {
        const errors: unknown[] = [];
        const c = h.attach(faultyBackend(failing), { onError: (error) => errors.push(error) });
        t.expect(await c.get("k", MISS)).toBe(MISS);
        t.expect(await c.set("k", 1)).toBe(false);
        t.expect(await c.exists("k")).toBe(false);
        t.expect(await c.getOrSet("k", () => "computed")).toBe("computed");
        t.expect(errors.length).toBeGreaterThanOrEqual(1);
        t.expect(errors[0]).toBeInstanceOf(h.lib.CacheError);
      },
    );

    t.it(
      "lock() on a failing backend rejects with CacheBackendError, not LockedError, and runs nothing",
      async () => {
        let ran = 0;
        const work = () => {
          ran++;
          return "done";
        };
        const errors: unknown[] = [];
        const lenient = h.attach(faultyBackend(failing), { onError: (e) => errors.push(e) });
        for (const wait of [false, true, 50]) {
          const error = await rejection(() => lenient.lock("job", { ttl: "1s", wait }, work));
          expectCacheError(h, error, h.lib.CacheBackendError);
          t.expect(error).not.toBeInstanceOf(h.lib.LockedError);
          t.expect((error as Error).message).toMatch(/could not be taken: the backend failed/);
        }
        t.expect(errors.length).toBeGreaterThanOrEqual(3);
        const strict = h.attach(faultyBackend(failing), { suppress: false });
        expectCacheError(
          h,
          await rejection(() => strict.lock("job", { ttl: "1s" }, work)),
          h.lib.CacheBackendError,
        );
        t.expect(ran).toBe(0);
        // With enable: false there is no lock to take: fn runs, as wrappers call straight through.
        const disabled = h.attach(faultyBackend(failing), { enable: false });
        t.expect(await disabled.lock("job", { ttl: "1s", wait: false }, work)).toBe("done");
        t.expect(ran).toBe(1);
      },
    );

    t.it("suppress: false rejects a backend failure with CacheBackendError", async () => {
      const c = h.attach(faultyBackend(failing), { suppress: false });
      expectCacheError(h, await rejection(() => c.get("k")), h.lib.CacheBackendError);
      expectCacheError(h, await rejection(() => c.set("k", 1)), h.lib.CacheBackendError);
    });

    t.it("timeout ends a backend call that takes too long, like a backend failure", async () => {
      const strict = h.attach(faultyBackend(hanging), { timeout: 50, suppress: false });
      const [error, strictMs] = await timed(() => rejection(() => strict.get("k")));
      expectCacheError(h, error, h.lib.CacheBackendError);
      t.expect(strictMs).toBeLessThan(1_000);
      const errors: unknown[] = [];
      const lenient = h.attach(faultyBackend(hanging), { timeout: "50ms", onError: (e) => errors.push(e) });
      const [value, lenientMs] = await timed(() => lenient.get("k", MISS));
      t.expect(value).toBe(MISS);
      t.expect(lenientMs).toBeLessThan(1_000);
      t.expect(errors.length).toBeGreaterThanOrEqual(1);
    });

    t.it("timeout also bounds the wait for a backend's init that never settles", async () => {
      const inner = h.lib.memoryBackend() as object;
      const strict = h.attach(withInit(inner, hanging), { timeout: 50, suppress: false });
      const [error, strictMs] = await timed(() => rejection(() => strict.get("k")));
      expectCacheError(h, error, h.lib.CacheBackendError);
      t.expect((error as Error).message).toMatch(/timed out after 50 ms waiting for the backend to connect/);
      t.expect(strictMs).toBeLessThan(1_000);
      // Later commands wait for the same init, each within its own timeout.
      const [again, againMs] = await timed(() => rejection(() => strict.set("k", 1)));
      expectCacheError(h, again, h.lib.CacheBackendError);
      t.expect(againMs).toBeLessThan(1_000);
      const errors: unknown[] = [];
      const lenient = h.attach(withInit(inner, hanging), { timeout: "50ms", onError: (e) => errors.push(e) });
      const [values, lenientMs] = await timed(() =>
        Promise.all([lenient.get("k", MISS), lenient.set("k", 1), lenient.getOrSet("k", () => "computed")]),
      );
      t.expect(values).toStrictEqual([MISS, false, "computed"]);
      t.expect(lenientMs).toBeLessThan(1_000);
      t.expect(errors.length).toBeGreaterThanOrEqual(3);
    });

    t.it("a backend failing with a plain TypeError (fetch failed) is a backend failure too", async () => {
      const unreachable = () => Promise.reject(new TypeError("fetch failed"));
      const errors: unknown[] = [];
      const lenient = h.attach(faultyBackend(unreachable), { onError: (e) => errors.push(e) });
      t.expect(await lenient.get("k", MISS)).toBe(MISS);
      t.expect(await lenient.set("k", 1)).toBe(false);
      t.expect(await lenient.getOrSet("k", () => "computed")).toBe("computed");
      t.expect(errors.length).toBeGreaterThanOrEqual(3);
      expectCacheError(h, errors[0], h.lib.CacheBackendError);
      t.expect((errors[0] as Error).message).toContain("fetch failed");
      const strict = h.attach(faultyBackend(unreachable), { suppress: false });
      expectCacheError(h, await rejection(() => strict.get("k")), h.lib.CacheBackendError);
    });
  });
}
