// `cached` (SPEC 5): single-flight, rejections, conditions, TTLs, `lock`, and the extras every
// wrapped function gains (`key`, `invalidate`, `refresh`, `stats`).
import {
  Boom,
  concurrently,
  counted,
  expectCacheError,
  gate,
  MISS,
  rejection,
  type StrategyHarness,
  scenario,
  sleep,
  split,
  until,
  within,
} from "./strategy-harness";

export function cachedTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("cached", () => {
    t.it("10 concurrent cold calls run the function once and all get the same value", async () => {
      const cache = await h.open();
      const c = counted(30);
      const load = cache.cached({ ttl: "10s" })(c.fn);
      const { values, errors } = split(await concurrently(10, () => load("a")));
      t.expect(errors).toEqual([]);
      t.expect(values).toEqual(Array.from({ length: 10 }, () => "a:1"));
      t.expect(c.runs()).toBe(1);
      t.expect(await load("a")).toBe("a:1");
      t.expect(c.runs()).toBe(1);
    });

    t.it(
      "callers arriving while a load's result is being stored share it, with no read of their own",
      async () => {
        // The sharing is the core's: checked on a memory backend wrapped to hold its set, on every target.
        const inner = h.lib.memoryBackend() as Record<string, unknown>;
        let stored = gate();
        const reads: string[] = [];
        let storing = false;
        const backend: Record<string, unknown> = { name: inner.name, capabilities: inner.capabilities };
        // The backend's methods, own and from its class, bound to it (no `readSlot`: every read is a backend call).
        for (
          let from: object | null = inner;
          from !== null && from !== Object.prototype;
          from = Object.getPrototypeOf(from)
        ) {
          for (const name of Object.getOwnPropertyNames(from)) {
            const value = (inner as Record<string, unknown>)[name];
            if (
              name === "constructor" ||
              name === "readSlot" ||
              name in backend ||
              typeof value !== "function"
            )
              continue;
            backend[name] = value.bind(inner);
          }
        }
        for (const name of ["get", "getMany", "getWithExpire", "exists"]) {
          const read = backend[name] as ((...args: unknown[]) => Promise<unknown>) | undefined;
          if (read !== undefined) {
            backend[name] = (...args: unknown[]) => {
              reads.push(name);
              return read(...args);
            };
          }
        }
        const write = backend.set as (...args: unknown[]) => Promise<boolean>;
        backend.set = async (...args: unknown[]) => {
          if (args[0] === "held") {
            storing = true;
            await stored.promise;
          }
          return write(...args);
        };
        const cache = h.attach(backend);
        const c = counted();
        const load = cache.cached({ ttl: "10s", key: "held" })(c.fn);
        const first = load("a");
        await until(() => storing, "the store reached the backend");
        const readsBefore = reads.length;
        const joined = [load("a"), load("a"), load("a")];
        await sleep(20);
        stored.open();
        const values = await Promise.all([first, ...joined]);
        t.expect(new Set(values).size).toBe(1);
        t.expect(c.runs()).toBe(1);
        // The callers during the store shared the load: the backend saw no read from them.
        t.expect(reads.length).toBe(readsBefore);
        t.expect(await load("a")).toBe(values[0]);
        // A delete while the store is on its way still detaches the load: a call after it loads anew.
        await cache.delete("held");
        stored = gate();
        storing = false;
        const second = load("a");
        await until(() => storing, "the second store reached the backend");
        await cache.delete("held");
        const after = load("a");
        await sleep(20);
        stored.open();
        t.expect(await second).not.toBe(await after);
        t.expect(c.runs()).toBe(3);
      },
    );

    t.it("a rejection reaches all ten concurrent callers and nothing is cached after it", async () => {
      const cache = await h.open();
      let runs = 0;
      const load = cache.cached({ ttl: "10s" })(async function failing(id: string) {
        runs++;
        await sleep(30);
        if (runs === 1) throw new Boom(`no ${id}`);
        return `${id}:${runs}`;
      });
      const { values, errors } = split(await concurrently(10, () => load("a")));
      t.expect(values).toEqual([]);
      t.expect(errors).toHaveLength(10);
      for (const error of errors) {
        t.expect(error).toBeInstanceOf(Boom);
        t.expect((error as Error).message).toBe("no a");
      }
      t.expect(runs).toBe(1);
      t.expect(await load("a")).toBe("a:2");
      t.expect(runs).toBe(2);
    });

    t.it("withExceptions caches the error: the next call rethrows it without executing", async () => {
      const cache = await h.open();
      let runs = 0;
      // Built-in error classes: they keep their class through any backend's serializer.
      const load = cache.cached({ ttl: "10s", condition: h.lib.withExceptions(RangeError) })(
        async function risky(kind: string) {
          runs++;
          if (kind === "range") throw new RangeError(`bad ${kind} ${runs}`);
          if (kind === "type") throw new TypeError(`bad ${kind} ${runs}`);
          return `${kind}:${runs}`;
        },
      );
      const first = await rejection(() => load("range"));
      t.expect(first).toBeInstanceOf(RangeError);
      const second = await rejection(() => load("range"));
      t.expect(second).toBeInstanceOf(RangeError);
      t.expect((second as Error).message).toBe("bad range 1");
      t.expect(runs).toBe(1);
      // An error the condition does not name is not cached; results still are.
      t.expect(await rejection(() => load("type"))).toBeInstanceOf(TypeError);
      t.expect(await rejection(() => load("type"))).toBeInstanceOf(TypeError);
      t.expect(runs).toBe(3);
      t.expect(await load("ok")).toBe("ok:4");
      t.expect(await load("ok")).toBe("ok:4");
    });

    t.it("withExceptions gives a cached error of the user's own class back as that class", async () => {
      const cache = await h.open();
      class NotFound extends Error {
        readonly status: number;
        constructor(message: string, status: number) {
          super(message);
          this.name = "NotFound";
          this.status = status;
        }
      }
      class Gone extends NotFound {}
      let runs = 0;
      const find = cache.cached({ ttl: "10s", condition: h.lib.withExceptions(NotFound) })(
        async function find(id: string) {
          runs++;
          if (id === "gone") throw new Gone(`${id} is gone`, 410);
          throw new NotFound(`no ${id}`, 404);
        },
      );
      const first = await rejection(() => find("a"));
      t.expect(first).toBeInstanceOf(NotFound);
      for (let i = 0; i < 2; i++) {
        const again = await rejection(() => find("a"));
        t.expect(again).toBeInstanceOf(NotFound);
        t.expect(again).toBeInstanceOf(Error);
        t.expect((again as NotFound).message).toBe("no a");
        t.expect((again as NotFound).name).toBe("NotFound");
        t.expect((again as NotFound).status).toBe(404);
      }
      // A subclass comes back as the class the condition lists.
      await rejection(() => find("gone"));
      const gone = await rejection(() => find("gone"));
      t.expect(gone).toBeInstanceOf(NotFound);
      t.expect((gone as NotFound).status).toBe(410);
      t.expect(runs).toBe(2);
    });

    t.it("NOT_NULLISH, onlyExceptions and a custom condition decide what is stored", async () => {
      const cache = await h.open();
      let runs = 0;
      const body = async function maybe(kind: string): Promise<unknown> {
        runs++;
        if (kind === "null") return null;
        if (kind === "undefined") return undefined;
        if (kind === "range") throw new RangeError(`range ${runs}`);
        return `${kind}:${runs}`;
      };
      const notNullish = cache.cached({ ttl: "10s", condition: h.lib.NOT_NULLISH, name: "notNullish" })(body);
      t.expect(await notNullish("null")).toBeNull();
      t.expect(await notNullish("null")).toBeNull();
      t.expect(await notNullish("undefined")).toBeUndefined();
      t.expect(await notNullish("undefined")).toBeUndefined();
      t.expect(runs).toBe(4);
      t.expect(await notNullish("value")).toBe("value:5");
      t.expect(await notNullish("value")).toBe("value:5");
      t.expect(await rejection(() => notNullish("range"))).toBeInstanceOf(RangeError);
      t.expect(await rejection(() => notNullish("range"))).toBeInstanceOf(RangeError);
      t.expect(runs).toBe(7);

      const onlyErrors = cache.cached({
        ttl: "10s",
        condition: h.lib.onlyExceptions(RangeError),
        name: "only",
      })(body);
      t.expect(await onlyErrors("value")).toBe("value:8");
      t.expect(await onlyErrors("value")).toBe("value:9");
      t.expect(((await rejection(() => onlyErrors("range"))) as Error).message).toBe("range 10");
      t.expect(((await rejection(() => onlyErrors("range"))) as Error).message).toBe("range 10");
      t.expect(runs).toBe(10);

      const seen: unknown[][] = [];
      const custom = cache.cached({
        ttl: "10s",
        name: "custom",
        condition: (result, args, key) => {
          seen.push([result, [...args], key]);
          return result !== "skip:11";
        },
      })(body);
      t.expect(await custom("skip")).toBe("skip:11");
      t.expect(await custom("skip")).toBe("skip:12");
      t.expect(await custom("skip")).toBe("skip:12");
      t.expect(seen[0]).toEqual(["skip:11", ["skip"], await custom.key("skip")]);
    });

    t.it(
      "serves from cache until the TTL ends: duration strings, milliseconds, functions of the arguments",
      async () => {
        const cache = await h.open();
        const c = counted();
        const text = cache.cached({ ttl: "150ms", name: "text" })(c.fn);
        const ms = cache.cached({ ttl: 150, name: "ms" })(c.fn);
        const perCall = cache.cached({
          ttl: (id: string) => (id === "short" ? "150ms" : 10_000),
          name: "perCall",
        })(c.fn);
        const before = [await text("a"), await ms("a"), await perCall("short"), await perCall("long")];
        t.expect(before).toEqual(["a:1", "a:2", "short:3", "long:4"]);
        t.expect([await text("a"), await ms("a"), await perCall("short"), await perCall("long")]).toEqual(
          before,
        );
        await sleep(400);
        t.expect(await text("a")).toBe("a:5");
        t.expect(await ms("a")).toBe("a:6");
        t.expect(await perCall("short")).toBe("short:7");
        t.expect(await perCall("long")).toBe("long:4");
      },
    );

    t.it("timeCondition stores only the calls that took longer", async () => {
      const cache = await h.open();
      const fast = counted();
      const slow = counted(120);
      const quick = cache.cached({ ttl: "10s", timeCondition: "60ms", name: "quick" })(fast.fn);
      const lengthy = cache.cached({ ttl: "10s", timeCondition: "60ms", name: "lengthy" })(slow.fn);
      await Promise.all([
        scenario("fast", async () => {
          t.expect([await quick("a"), await quick("a")]).toEqual(["a:1", "a:2"]);
        }),
        scenario("slow", async () => {
          t.expect([await lengthy("a"), await lengthy("a")]).toEqual(["a:1", "a:1"]);
        }),
      ]);
    });

    t.it("lock: true shares one execution between two caches on the same storage", async () => {
      const store = await h.store();
      const a = h.attach(store);
      const b = h.attach(store);
      const c = counted(80);
      const viaA = a.cached({ ttl: "10s", lock: true })(c.fn);
      const viaB = b.cached({ ttl: "10s", lock: true })(c.fn);
      const results = await Promise.all([viaA("x"), viaB("x"), viaA("x"), viaB("x")]);
      t.expect(results).toEqual(["x:1", "x:1", "x:1", "x:1"]);
      t.expect(c.runs()).toBe(1);
    });

    t.it("computes the key once per call, and a sync function becomes async", async () => {
      const cache = await h.open();
      let keyCalls = 0;
      const double = cache.cached({
        ttl: "10s",
        key: (n: number) => {
          keyCalls++;
          return `double:${n}`;
        },
      })(function double(n: number) {
        return n * 2;
      });
      const pending = double(2);
      t.expect(pending).toBeInstanceOf(Promise);
      t.expect(await pending).toBe(4);
      t.expect(keyCalls).toBe(1);
      t.expect(await double(2)).toBe(4);
      t.expect(keyCalls).toBe(2);
      const explode = cache.cached({ ttl: "10s" })(function explode(): number {
        throw new Boom("sync");
      });
      // `rejection` turns a synchronous throw into a different error, so this checks the channel too.
      t.expect(await rejection(() => explode())).toBeInstanceOf(Boom);
    });

    t.it(
      "a ttl function that throws or returns no duration rejects the call, never throws synchronously",
      async () => {
        const cache = await h.open();
        const c = counted();
        const badTtl = cache.cached({ ttl: () => "soon" })(async function badTtl(id: string) {
          return c.fn(id);
        });
        const failingTtl = cache.cached({
          ttl: (id: string) => {
            throw new Boom(`no ttl for ${id}`);
          },
        })(async function failingTtl(id: string) {
          return c.fn(id);
        });
        // `rejection` turns a synchronous throw into a different error, so this checks the channel.
        expectCacheError(h, await rejection(() => badTtl("a")), h.lib.CacheConfigError);
        t.expect(await rejection(() => failingTtl("a"))).toBeInstanceOf(Boom);
      },
    );

    t.it(".key, .invalidate and .refresh act on one argument set", async () => {
      const cache = await h.open();
      const c = counted();
      const load = cache.cached({ ttl: "10s", key: "item:{id}" })(async function load(id: string) {
        return c.fn(id);
      });
      t.expect(await load.key("a")).toBe("item:a");
      t.expect([await load("a"), await load("b")]).toEqual(["a:1", "b:2"]);
      await load.invalidate("a");
      t.expect(await cache.get("item:a", MISS)).toBe(MISS);
      t.expect(await cache.get("item:b")).toBe("b:2");
      t.expect([await load("a"), await load("b")]).toEqual(["a:3", "b:2"]);
      t.expect(await load.refresh("b")).toBe("b:4");
      t.expect([await load("a"), await load("b")]).toEqual(["a:3", "b:4"]);
      t.expect(c.runs()).toBe(4);
    });

    for (const lock of [false, true]) {
      t.it(`.refresh wins over an older load still in flight${lock ? " (lock: true)" : ""}`, async () => {
        const cache = await h.open();
        const finishes: Array<(value: string) => void> = [];
        const load = cache.cached({ ttl: "10s", key: "race:{0}", lock })(async function load(_id: string) {
          return new Promise<string>((resolve) => finishes.push(resolve));
        });
        const older = load("a");
        await until(() => finishes.length === 1, "the first load to start");
        const refreshed = load.refresh("a");
        await until(() => finishes.length === 2, "the refresh to start");
        const later = load("a"); // comes while the refresh runs: shares it
        finishes[1]?.("new");
        t.expect(await refreshed).toBe("new");
        t.expect(await within(later, 2_000, "a call during the refresh")).toBe("new");
        finishes[0]?.("old");
        t.expect(await older).toBe("old");
        await sleep(20);
        t.expect(await cache.get("race:a")).toBe("new");
        t.expect(await load("a")).toBe("new");
        t.expect(finishes).toHaveLength(2);
      });
    }

    t.it(".stats() counts the requests, hits, misses and loads of one function", async () => {
      const cache = await h.open();
      const c = counted(30);
      const load = cache.cached({ ttl: "10s" })(c.fn);
      const other = cache.cached({ ttl: "10s" })(async function failing(): Promise<never> {
        throw new Boom();
      });
      t.expect(load.stats()).toEqual({
        requests: 0,
        hits: 0,
        misses: 0,
        hitRate: 0,
        loads: 0,
        loadFailures: 0,
        loadTimeMs: 0,
      });
      await load("a");
      await load("a");
      await load("a");
      await rejection(() => other());
      await rejection(() => other());
      const stats = load.stats();
      t.expect({ ...stats, loadTimeMs: 0 }).toEqual({
        requests: 3,
        hits: 2,
        misses: 1,
        hitRate: 2 / 3,
        loads: 1,
        loadFailures: 0,
        loadTimeMs: 0,
      });
      t.expect(stats.loadTimeMs).toBeGreaterThanOrEqual(20);
      const failed = other.stats();
      t.expect([failed.requests, failed.hits, failed.misses, failed.loads, failed.loadFailures]).toEqual([
        2, 0, 2, 0, 2,
      ]);
    });
  });
}
