// Request-scoped features and command plumbing (SPEC 6, 7): `disable` / `enable` / `disabling`,
// `detect`, middlewares, `callback`, and `cache.stats()`. Tests of concurrent scopes check exact
// isolation where the entry has AsyncLocalStorage, and the documented fallback in browsers.

import {
  collect,
  commandCounter,
  counted,
  expectCacheError,
  gate,
  MISS,
  rejection,
  type StrategyHarness,
  sleep,
  thrown,
  until,
} from "./strategy-harness";
import type { MiddlewareLike } from "./strategy-types";

export function scopeTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("disable, detect, middlewares, callback, stats", () => {
    t.it(
      "disable() makes every strategy call straight through and no command reach the backend",
      async () => {
        const counter = commandCounter();
        const cache = await h.open({ middlewares: [counter.middleware] });
        let runs = 0;
        const body = async function work(id: string) {
          runs++;
          return `${id}:${runs}`;
        };
        const wrappers = [
          cache.cached({ ttl: "10s", name: "cached" }),
          cache.failover({ ttl: "10s", name: "failover" }),
          cache.hit({ ttl: "10s", cacheHits: 5, name: "hit" }),
          cache.early({ ttl: "10s", earlyTtl: "5s", name: "early" }),
          cache.soft({ ttl: "10s", softTtl: "5s", name: "soft" }),
          cache.locked({ ttl: "10s", wait: false, name: "locked" }),
          cache.rateLimit({ limit: 1, period: "10s", name: "rateLimit" }),
          cache.sliceRateLimit({ limit: 1, period: "10s", name: "sliceRateLimit" }),
          cache.circuitBreaker({ errorsRate: 50, period: "10s", ttl: "10s", name: "circuitBreaker" }),
          cache.bloom({ capacity: 100, falsePositives: 1, name: "bloom" }),
          cache.invalidate("work:*"),
        ].map((strategy) => strategy(body));
        const stream = cache.iterator({ ttl: "10s" })(async function* stream() {
          runs++;
          yield runs;
        });
        cache.disable();
        t.expect(cache.isEnabled()).toBe(false);
        counter.calls.length = 0;
        for (const wrapped of wrappers) {
          const before = runs;
          t.expect(await wrapped("a")).toBe(`a:${before + 1}`);
          t.expect(await Promise.all([wrapped("a"), wrapped("a")])).toEqual([
            `a:${before + 2}`,
            `a:${before + 3}`,
          ]);
        }
        const streamed = runs;
        t.expect(await collect(stream())).toEqual([streamed + 1]);
        t.expect(await collect(stream())).toEqual([streamed + 2]);
        t.expect(await cache.get("k", "fallback")).toBe("fallback");
        await cache.set("k", 1);
        t.expect(await cache.deleteTags("any")).toBe(0);
        t.expect(counter.calls.map((call) => `${call.command} ${call.key}`)).toEqual([]);
        cache.enable();
        t.expect(cache.isEnabled()).toBe(true);
        t.expect(await cache.get("k", MISS)).toBe(MISS);
        const first = wrappers[0] as (typeof wrappers)[number];
        const value = await first("b");
        t.expect(await first("b")).toBe(value);
        t.expect(counter.calls.length).toBeGreaterThan(0);
      },
    );

    t.it("disable and disabling are scoped to their async context, siblings unaffected", async () => {
      const cache = await h.open();
      const c = counted();
      const load = cache.cached({ ttl: "10s" })(c.fn);
      t.expect(await load("a")).toBe("a:1");
      if (!h.hasAls) {
        // Documented browser fallback: an open scope is what every context sees until it ends;
        // scopes that do not overlap are isolated exactly.
        const release = gate();
        const open = cache.disabling(async () => {
          const inside = cache.isEnabled();
          await release.promise;
          return inside;
        });
        t.expect(cache.isEnabled()).toBe(false);
        release.open();
        t.expect(await open).toBe(false);
        t.expect(cache.isEnabled()).toBe(true);
        t.expect(await cache.disabling(async () => [cache.isEnabled(), await load("a")])).toEqual([
          false,
          "a:2",
        ]);
        t.expect(await load("a")).toBe("a:1");
        return;
      }
      const inA: unknown[] = [];
      const inB: unknown[] = [];
      const inC: unknown[] = [];
      const a = cache.disabling(async () => {
        await sleep(10);
        inA.push(cache.isEnabled(), await load("a"));
        await sleep(20);
        inA.push(cache.isEnabled(), await load("a"));
      });
      const b = (async () => {
        await sleep(5);
        inB.push(cache.isEnabled(), await load("a"));
        await sleep(20);
        inB.push(cache.isEnabled(), await load("a"));
      })();
      const scoped = cache.withRequest({}, async () => {
        cache.disable();
        await sleep(15);
        inC.push(cache.isEnabled(), await load("a"));
      });
      await Promise.all([a, b, scoped]);
      t.expect(inB).toEqual([true, "a:1", true, "a:1"]);
      t.expect(inA[0]).toBe(false);
      t.expect(inA[2]).toBe(false);
      t.expect([inA[1], inA[3], inC[1]].sort()).toEqual(["a:2", "a:3", "a:4"]);
      t.expect(inC[0]).toBe(false);
      t.expect(cache.isEnabled()).toBe(true);
      t.expect(await load("a")).toBe("a:1");
    });

    t.it("Command names the commands, and disabling one leaves the others", async () => {
      const cache = await h.open();
      t.expect(h.lib.Command.GET).toBe("get");
      t.expect(h.lib.Command.SET).toBe("set");
      await cache.set("k", 1);
      cache.disable(h.lib.Command.SET);
      t.expect(cache.isEnabled(h.lib.Command.SET)).toBe(false);
      t.expect(cache.isEnabled(h.lib.Command.GET)).toBe(true);
      await cache.set("k", 2);
      t.expect(await cache.get("k")).toBe(1);
      cache.enable(h.lib.Command.SET);
      await cache.set("k", 3);
      t.expect(await cache.get("k")).toBe(3);
      t.expect(await cache.disabling(() => cache.get("k", "off"), h.lib.Command.GET)).toBe("off");
      t.expect(await cache.get("k")).toBe(3);
    });

    t.it("a name that is no command is refused by disable, enable, disabling and callback", async () => {
      const cache = await h.open();
      const refused: [() => unknown, RegExp][] = [
        [() => cache.disable("gett"), /disable\(\) got "gett", which is not a command: did you mean "get"\?/],
        [() => cache.enable("sett"), /did you mean "set"\?/],
        [() => cache.disabling(() => 1, "cached"), /disabling\(\) got "cached", which is not a command/],
        [
          () =>
            cache.callback(
              () => {},
              { command: "gte" },
              () => 1,
            ),
          /did you mean "get"\?/,
        ],
        [() => cache.disable(5 as never), /got number 5, which is not a command/],
      ];
      for (const [call, message] of refused) {
        const error = thrown(call);
        expectCacheError(h, error, h.lib.CacheArgumentError);
        t.expect((error as Error).message).toMatch(message);
      }
      // Nothing was disabled by the refused calls.
      t.expect(cache.isEnabled()).toBe(true);
      await cache.set("k", 1);
      t.expect(await cache.get("k")).toBe(1);
    });

    t.it("detect lists the hits inside its scope with the strategy name, ttl and backend", async () => {
      const cache = await h.open();
      const c = counted();
      const item = cache.cached({ ttl: "10s", name: "item" })(c.fn);
      const feed = cache.early({ ttl: "10s", earlyTtl: "5s", name: "feed" })(c.fn);
      await item("a");
      await feed("b");
      const { result, calls } = await cache.detect(async () => [
        await item("a"),
        await feed("b"),
        await item("new"),
      ]);
      t.expect(result).toEqual(["a:1", "b:2", "new:3"]);
      const [keyA, keyB, keyNew] = [await item.key("a"), await feed.key("b"), await item.key("new")];
      const hitA = calls[keyA] ?? [];
      t.expect(hitA).toHaveLength(1);
      t.expect(hitA[0]?.name).toBe("cached");
      t.expect(hitA[0]?.ttl).toBe(10_000);
      t.expect(typeof hitA[0]?.backend).toBe("string");
      t.expect((hitA[0]?.backend ?? "").length).toBeGreaterThan(0);
      t.expect((calls[keyB] ?? [])[0]?.name).toBe("early");
      t.expect(calls[keyNew]).toBeUndefined();

      // Scopes do not see each other's calls (run concurrently where the runtime can isolate them).
      const one = async () => {
        await sleep(10);
        await item("a");
        await sleep(20);
      };
      const two = async () => {
        await sleep(5);
        await feed("b");
        await sleep(20);
        await feed("b");
      };
      const [first, second] = h.hasAls
        ? await Promise.all([cache.detect(one), cache.detect(two)])
        : [await cache.detect(one), await cache.detect(two)];
      t.expect(Object.keys(first.calls)).toEqual([keyA]);
      t.expect(Object.keys(second.calls)).toEqual([keyB]);
      t.expect(second.calls[keyB]).toHaveLength(2);
    });

    t.it(
      "middlewares run outermost first, see { command, key, args, backend }, and may short-circuit",
      async () => {
        const order: string[] = [];
        const trace =
          (name: string): MiddlewareLike =>
          async (call, next) => {
            if (call.key === "k") order.push(`${name}>${call.command}`);
            const result = await next();
            if (call.key === "k") order.push(`${name}<${call.command}`);
            return result;
          };
        const shortCircuit: MiddlewareLike = (call, next) =>
          call.command === "get" && call.key === "magic" ? Promise.resolve("from middleware") : next();
        const counter = commandCounter();
        const cache = await h.open({
          middlewares: [trace("outer"), trace("inner"), shortCircuit, counter.middleware],
        });
        await cache.set("k", 1);
        t.expect(order).toEqual(["outer>set", "inner>set", "inner<set", "outer<set"]);
        order.length = 0;
        t.expect(await cache.get("k")).toBe(1);
        t.expect(order).toEqual(["outer>get", "inner>get", "inner<get", "outer<get"]);
        const set = counter.calls.find((call) => call.command === "set" && call.key === "k");
        t.expect(Array.isArray(set?.args)).toBe(true);
        t.expect(set?.args[0]).toBe("k");
        t.expect(typeof set?.backend).toBe("string");
        t.expect(await cache.get("magic")).toBe("from middleware");
        t.expect(counter.calls.some((call) => call.key === "magic")).toBe(false);
        // Strategies go through the middlewares too.
        const load = cache.cached({ ttl: "10s" })(counted().fn);
        await load("a");
        const key = await load.key("a");
        t.expect(counter.calls.some((call) => call.command === "get" && call.key === key)).toBe(true);
        t.expect(counter.calls.some((call) => call.command === "set" && call.key === key)).toBe(true);
        // deleteMatch and getKeysCount are commands too: one call each for the backend.
        counter.calls.length = 0;
        await cache.set("m:1", 1);
        await cache.set("m:2", 2);
        t.expect(await cache.deleteMatch("m:*")).toBe(2);
        const total = await cache.getKeysCount();
        const seen = counter.calls.map((call) => call.command);
        t.expect(seen.filter((command) => command === "deleteMatch")).toHaveLength(1);
        t.expect(counter.calls.find((call) => call.command === "deleteMatch")?.key).toBe("m:*");
        t.expect(seen.filter((command) => command === "getKeysCount")).toHaveLength(1);
        t.expect(typeof total).toBe("number");
        // A middleware may answer them itself.
        const fixed = await h.open({
          middlewares: [
            (call, next) =>
              call.command === "getKeysCount" || call.command === "deleteMatch" ? Promise.resolve(7) : next(),
          ],
        });
        t.expect([await fixed.getKeysCount(), await fixed.deleteMatch("x:*")]).toEqual([7, 7]);
      },
    );

    t.it(
      "a cached() store follows set: skipped with set disabled, dropped by a rollback, seen by a set callback",
      async () => {
        const cache = await h.open();
        const c = counted();
        const item = cache.cached({ ttl: "10s", key: "item:{0}" })(c.fn);
        t.expect(await cache.disabling(() => item("a"), h.lib.Command.SET)).toBe("a:1");
        t.expect(await cache.get("item:a", MISS)).toBe(MISS);
        await cache.transaction(async (tx) => {
          t.expect(await item("b")).toBe("b:2");
          t.expect(await item("b")).toBe("b:2"); // the transaction reads its own store
          tx.rollback();
        });
        t.expect(await cache.get("item:b", MISS)).toBe(MISS);
        const seen: unknown[][] = [];
        await cache.callback(
          (key, result) => void seen.push([key, result]),
          { command: h.lib.Command.SET },
          () => item("c"),
        );
        t.expect(seen).toEqual([["item:c", true]]);
        t.expect(await item("c")).toBe("c:3");
        t.expect(c.runs()).toBe(3);
      },
    );

    t.it("callback fires for the command it names, inside its scope only", async () => {
      const cache = await h.open();
      await cache.set("a", 1);
      const seen: unknown[][] = [];
      const result = await cache.callback(
        (key, value) => void seen.push([key, value]),
        { command: h.lib.Command.GET },
        async () => {
          await cache.get("a");
          await cache.set("b", 2);
          await cache.get("missing");
          return "done";
        },
      );
      await cache.get("a");
      await cache.get("b");
      t.expect(result).toBe("done");
      t.expect(seen).toEqual([
        ["a", 1],
        ["missing", undefined],
      ]);
    });

    t.it(
      "callback sees the scope's own commands: not the library's internal keys, nor a refresh that outlives it",
      async () => {
        const cache = await h.open();
        const c = counted(10);
        const hits = cache.hit({ ttl: "30s", cacheHits: 5, key: "h:{0}" })(c.fn);
        const guarded = cache.cached({ ttl: "30s", key: "l:{0}", lock: true })(c.fn);
        const feed = cache.early({ ttl: "30s", earlyTtl: "5s", key: "e:{0}" })(c.fn);
        await feed("x");
        h.clock.advance(6_000);
        const seen: string[] = [];
        await cache.callback(
          (key) => void seen.push(String(key)),
          {},
          async () => {
            await hits("a");
            await hits("a");
            await guarded("b");
            t.expect(await feed("x")).toBe("x:1"); // past earlyTtl: a background refresh starts
          },
        );
        const atEnd = seen.length;
        await until(() => c.runs() >= 4, "the background refresh ran");
        await sleep(30);
        t.expect(seen.filter((key) => key.startsWith("__isocache__:"))).toEqual([]);
        t.expect(seen.slice(atEnd)).toEqual([]);
        t.expect(seen).toContain("h:a");
        t.expect(seen).toContain("l:b");
        t.expect(seen).toContain("e:x");
      },
    );

    t.it("detect lists the hits of get and getMany, not their misses", async () => {
      const cache = await h.open();
      await cache.set("one", 1);
      await cache.set("two", 2);
      const { result, calls } = await cache.detect(async () => [
        await cache.get("one"),
        await cache.getMany(["one", "two", "none"]),
      ]);
      t.expect(result).toEqual([1, [1, 2, undefined]]);
      t.expect((calls.one ?? []).map((call) => call.name)).toEqual(["get", "getMany"]);
      t.expect((calls.two ?? []).map((call) => call.name)).toEqual(["getMany"]);
      t.expect(calls.none).toBeUndefined();
      // Inside a transaction too, where getMany also counts in stats().
      const before = cache.stats();
      const inside = await cache.detect(() => cache.transaction(() => cache.getMany(["two", "none"])));
      t.expect(inside.result).toEqual([2, undefined]);
      t.expect((inside.calls.two ?? []).map((call) => call.name)).toEqual(["getMany"]);
      const after = cache.stats();
      t.expect([after.hits - before.hits, after.misses - before.misses]).toEqual([1, 1]);
    });

    t.it("a detect inside another reports its hits to both", async () => {
      const cache = await h.open();
      await cache.set("k", 1);
      await cache.set("j", 2);
      const outer = await cache.detect(async () => {
        await cache.get("k");
        const inner = await cache.detect(async () => [await cache.get("k"), await cache.get("j")]);
        await rejection(() =>
          cache.detect(async () => {
            await cache.get("j");
            throw new RangeError("inner failed");
          }),
        );
        return inner;
      });
      t.expect(outer.result.result).toEqual([1, 2]);
      t.expect(Object.keys(outer.result.calls).sort()).toEqual(["j", "k"]);
      t.expect(outer.result.calls.k).toHaveLength(1);
      t.expect(outer.calls.k).toHaveLength(2);
      t.expect(outer.calls.j).toHaveLength(2);
      t.expect(outer.calls.k?.[0]?.name).toBe("get");
    });

    t.it("cache.stats() sums the reads of every function and command, fn.stats() one function", async () => {
      const cache = await h.open();
      const c = counted();
      const f1 = cache.cached({ ttl: "10s", name: "f1" })(c.fn);
      const f2 = cache.cached({ ttl: "10s", name: "f2" })(c.fn);
      for (let i = 0; i < 2; i++) await f1("a");
      for (let i = 0; i < 3; i++) await f2("a");
      await cache.get("none");
      await cache.set("k", 1);
      await cache.get("k");
      t.expect(await cache.getOrSet("g", () => "made")).toBe("made");
      t.expect(await cache.getOrSet("g", () => "again")).toBe("made");
      const stats = cache.stats();
      t.expect([stats.requests, stats.hits, stats.misses, stats.hitRate]).toEqual([9, 5, 4, 5 / 9]);
      // f1's and f2's executions and getOrSet's factory.
      t.expect(stats.loads).toBe(3);
      t.expect(stats.loadFailures).toBe(0);
      const failing = cache.cached({ ttl: "10s", name: "failing" })(async () => {
        throw new RangeError("no");
      });
      await rejection(() => failing());
      t.expect([cache.stats().loads, cache.stats().loadFailures]).toEqual([3, 1]);
      t.expect([failing.stats().loads, failing.stats().loadFailures]).toEqual([0, 1]);
      t.expect([f1.stats().requests, f1.stats().hits, f2.stats().requests, f2.stats().hits]).toEqual([
        2, 1, 3, 2,
      ]);
      // An iterator's recorded run is a load too; its replay is not.
      const rows = cache.iterator({ ttl: "10s", name: "rows" })(async function* rows() {
        yield 1;
        yield 2;
      });
      for (let run = 0; run < 2; run++) {
        const got: unknown[] = [];
        for await (const row of rows()) got.push(row);
        t.expect(got).toEqual([1, 2]);
      }
      const rowStats = (rows as unknown as { stats(): { loads: number } }).stats();
      t.expect([cache.stats().loads, rowStats.loads]).toEqual([4, 1]);
    });
  });
}
