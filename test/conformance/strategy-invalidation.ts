// Invalidation (SPEC 5, 6): the `invalidate` strategy, tags on `set` and on strategies,
// `deleteTags`, and `invalidateFurther`.
import { shortTtl } from "./basic-harness";
import {
  Boom,
  collect,
  counted,
  expectCacheError,
  gate,
  inTime,
  MISS,
  rejection,
  type StrategyHarness,
  sleep,
  thrown,
  within,
} from "./strategy-harness";

export function invalidationTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("invalidate, tags, invalidateFurther", () => {
    t.it(
      "invalidate(target) deletes the target's key after the call resolves, not when it throws",
      async () => {
        const cache = await h.open();
        const c = counted();
        const getUser = cache.cached({ ttl: "10s", key: "user:{id}" })(async function getUser(id: string) {
          return c.fn(id);
        });
        const release = gate();
        const rename = cache.invalidate(getUser)(async function rename(id: string, name: string) {
          if (name === "bad") throw new Boom(`cannot rename ${id}`);
          await release.promise;
          return name;
        });
        t.expect([await getUser("1"), await getUser("2")]).toEqual(["1:1", "2:2"]);
        const pending = rename("1", "new");
        await sleep(20);
        t.expect(await cache.get("user:1")).toBe("1:1");
        release.open();
        t.expect(await pending).toBe("new");
        t.expect(await cache.get("user:1", MISS)).toBe(MISS);
        t.expect([await getUser("1"), await getUser("2")]).toEqual(["1:3", "2:2"]);
        t.expect(await rejection(() => rename("2", "bad"))).toBeInstanceOf(Boom);
        t.expect(await cache.get("user:2")).toBe("2:2");
      },
    );

    t.it("invalidate accepts a template, a template with argsMap, and a glob", async () => {
      const cache = await h.open();
      const c = counted();
      const getUser = cache.cached({ ttl: "10s", key: "user:{id}" })(async function getUser(id: string) {
        return c.fn(id);
      });
      const fill = () => Promise.all(["1", "2", "3"].map((id) => getUser(id)));
      const byTemplate = cache.invalidate("user:{id}")(async function touch(id: string) {
        return id;
      });
      // argsMap: the template's placeholder `id` takes this function's `userId`.
      const mapped = cache.invalidate("user:{id}", { argsMap: { id: "userId" } })(async function update(
        userId: string,
        data: string,
      ) {
        return `${userId}=${data}`;
      });
      const purge = cache.invalidate("user:*")(async function purge() {
        return true;
      });
      await fill();
      t.expect(await byTemplate("1")).toBe("1");
      t.expect(await cache.get("user:1", MISS)).toBe(MISS);
      t.expect(await cache.exists("user:2")).toBe(true);
      t.expect(await mapped("2", "x")).toBe("2=x");
      t.expect(await cache.get("user:2", MISS)).toBe(MISS);
      t.expect(await cache.exists("user:3")).toBe(true);
      await fill();
      t.expect(await purge()).toBe(true);
      t.expect(await collect(cache.scan("user:*"))).toEqual([]);
    });

    t.it('deleteTags("2") removes exactly the keys tagged "2"', async () => {
      const cache = await h.open();
      await cache.set("a", 1, { tags: ["1", "2"] });
      await cache.set("b", 2, { tags: ["2"] });
      await cache.set("c", 3, { tags: ["3"] });
      await cache.set("d", 4);
      await cache.set("e", 5, { tags: ["22"] });
      t.expect(await cache.deleteTags("2")).toBe(2);
      t.expect(await cache.get("a", MISS)).toBe(MISS);
      t.expect(await cache.get("b", MISS)).toBe(MISS);
      t.expect([await cache.get("c"), await cache.get("d"), await cache.get("e")]).toEqual([3, 4, 5]);
      t.expect(await cache.deleteTags("2")).toBe(0);
      await cache.set("x", 1, { tags: ["p"] });
      await cache.set("y", 2, { tags: ["q"] });
      await cache.set("z", 3, { tags: ["p", "q"] });
      t.expect(await cache.deleteTags("p", "q")).toBe(3);
      t.expect(await cache.getMany(["x", "y", "z"], MISS)).toEqual([MISS, MISS, MISS]);
    });

    // A tag's index sits beside each key it tags, so whatever routes the tag's own name ("active"
    // goes to each cache's default storage), any cache sharing the keys' backend reaches them.
    for (const tag of ["active", "user:active"]) {
      t.it(
        `tag "${tag}" on keys of a shared backend is invalidated from another cache sharing it`,
        async () => {
          // Two processes' views: each has its own default storage, both route "user…" to one shared storage.
          const shared = await h.store();
          const one = h.attach(shared, { prefix: "user" }).setup(await h.store());
          const two = h.attach(shared, { prefix: "user" }).setup(await h.store());
          await one.set("user:1", "alice", { tags: [tag] });
          await one.set("post:1", "one's own", { tags: [tag] });
          await two.set("user:2", "bob", { tags: [tag] });
          await two.set("post:2", "two's own", { tags: [tag] });
          // two reaches both shared keys and its own default key, not one's default storage.
          t.expect(await two.deleteTags(tag)).toBe(3);
          t.expect(await one.getMany(["user:1", "user:2"], MISS)).toEqual([MISS, MISS]);
          t.expect(await two.get("post:2", MISS)).toBe(MISS);
          t.expect(await one.get("post:1")).toBe("one's own");
          t.expect(await one.deleteTags(tag)).toBe(1);
          t.expect(await one.get("post:1", MISS)).toBe(MISS);
          t.expect(await one.deleteTags(tag)).toBe(0);
        },
      );
    }

    t.it(
      "deleteTags in a rolled-back transaction or with delete disabled leaves the tag on its keys",
      async () => {
        const cache = await h.open();
        await cache.set("a", 1, { tags: ["t"] });
        await cache.set("b", 2, { tags: ["t"] });
        const staged = await cache.transaction(async (tx) => {
          const count = await cache.deleteTags("t");
          tx.rollback();
          return count;
        });
        t.expect(staged).toBe(2);
        t.expect(await cache.getMany(["a", "b"])).toEqual([1, 2]);
        t.expect(await cache.disabling(() => cache.deleteTags("t"), "deleteMany")).toBe(0);
        t.expect(await cache.getMany(["a", "b"])).toEqual([1, 2]);
        // The index kept both keys: the tag still reaches them.
        t.expect(await cache.deleteTags("t")).toBe(2);
        t.expect(await cache.getMany(["a", "b"], MISS)).toEqual([MISS, MISS]);
      },
    );

    t.it("a key rewritten without the tag survives deleteTags", async () => {
      const cache = await h.open();
      await cache.set("deleted", 1, { tags: ["t"] });
      await cache.delete("deleted");
      await cache.set("deleted", "plain");
      await cache.set("overwritten", 1, { tags: ["t"] });
      await cache.set("overwritten", "plain");
      await cache.set("retagged", 1, { tags: ["t"] });
      await cache.set("retagged", "other", { tags: ["other"] });
      await cache.set("tagged", 1, { tags: ["t"] });
      t.expect(await cache.deleteTags("t")).toBe(1);
      t.expect(await cache.get("tagged", MISS)).toBe(MISS);
      t.expect(await cache.getMany(["deleted", "overwritten", "retagged"])).toEqual([
        "plain",
        "plain",
        "other",
      ]);
    });

    t.it("a tagged key given a longer TTL by expire is still reached by deleteTags", async () => {
      const cache = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      // The tag's index was made to live as long as the key's first TTL; expire must stretch it.
      await inTime("expire before the first TTL ends", async (n, deadline) => {
        const [tag, key] = [`stretch${n}`, `stretched${n}`];
        const window = deadline(ttlMs);
        await cache.set(key, 1, { ttl: ttlMs, tags: [tag] });
        const extended = await cache.expire(key, "10s");
        window.check();
        t.expect(extended).toBe(true);
        await sleep(afterMs);
        t.expect(await cache.get(key, MISS)).toBe(1);
        t.expect(await cache.deleteTags(tag)).toBe(1);
        t.expect(await cache.get(key, MISS)).toBe(MISS);
      });
    });

    t.it("deleteTags does not count a tagged key whose TTL has ended", async () => {
      const cache = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      await cache.set("short", 1, { ttl: ttlMs, tags: ["ending"] });
      await cache.set("long", 2, { ttl: "1h", tags: ["ending"] });
      await sleep(afterMs);
      t.expect(await cache.get("short", MISS)).toBe(MISS);
      t.expect(await cache.deleteTags("ending")).toBe(1);
      t.expect(await cache.getMany(["short", "long"], MISS)).toEqual([MISS, MISS]);
    });

    t.it("incr keeps the tags of the key it adds to", async () => {
      const cache = await h.open();
      await cache.set("whole", 1, { tags: ["counters"] });
      await cache.set("timed", 1, { ttl: "10s", tags: ["counters"] });
      await cache.set("fraction", 0.5, { tags: ["counters"] });
      t.expect([
        await cache.incr("whole"),
        await cache.incr("timed", 2),
        await cache.incr("fraction", 0.25),
      ]).toEqual([2, 3, 0.75]);
      t.expect(await cache.getExpire("timed")).toBeGreaterThan(0);
      t.expect(await cache.deleteTags("counters")).toBe(3);
      t.expect(await cache.getMany(["whole", "timed", "fraction"], MISS)).toEqual([MISS, MISS, MISS]);
    });

    t.it(
      "tags that are not strings in an array are a CacheArgumentError, and nothing is stored",
      async () => {
        const cache = await h.open();
        const c = counted();
        const calls: [string, () => Promise<unknown>][] = [
          ["set, a string", () => cache.set("k", 1, { tags: "items" as never })],
          ["set, a number in the array", () => cache.set("k", 1, { tags: ["items", 1] as never })],
          ["getOrSet, a string", () => cache.getOrSet("k", () => c.fn("k"), { tags: "items" } as never)],
          [
            "set in a transaction",
            () => cache.transaction(() => cache.set("k", 1, { tags: "items" as never })),
          ],
          ["deleteTags, a number", () => cache.deleteTags(123 as never)],
          ["deleteTags, an array", () => cache.deleteTags(["items"] as never)],
        ];
        for (const [what, call] of calls) {
          const error = await rejection(call);
          t.expect([what, error instanceof TypeError]).toEqual([what, true]);
          expectCacheError(h, error, h.lib.CacheArgumentError);
        }
        t.expect(await cache.get("k", MISS)).toBe(MISS);
        t.expect(c.runs()).toBe(0);
      },
    );

    // Redis, Upstash and KV keep text as UTF-8, where "t\ud800" and "t\udc00" both turn into
    // "t\ufffd": one tag's deleteTags would reach the other's keys there.
    t.it("a tag with a lone surrogate is a CacheArgumentError on every entry that takes tags", async () => {
      const cache = await h.open();
      const c = counted();
      const list = cache.cached({ ttl: "10s", key: "list:{page}", tags: ["page:{page}"] })(
        async function list(page: string) {
          return c.fn(page);
        },
      );
      const calls: [string, () => Promise<unknown>][] = [
        ["set", () => cache.set("k", 1, { tags: ["ok", "t\ud800"] })],
        ["getOrSet", () => cache.getOrSet("k", () => c.fn("k"), { tags: ["\udc00t"] } as never)],
        ["set in a transaction", () => cache.transaction(() => cache.set("k", 1, { tags: ["t\ud800"] }))],
        ["deleteTags", () => cache.deleteTags("ok", "t\udc00")],
        ["deleteTags in a transaction", () => cache.transaction(() => cache.deleteTags("t\ud800"))],
        ["a strategy's rendered tag", () => list("\ud800")],
      ];
      for (const [what, call] of calls) {
        const error = await rejection(call);
        t.expect([what, error instanceof h.lib.CacheArgumentError]).toEqual([what, true]);
        t.expect([what, /lone surrogate/.test((error as Error).message)]).toEqual([what, true]);
      }
      t.expect(await cache.get("k", MISS)).toBe(MISS);
      t.expect(await collect(cache.scan("list:*"))).toEqual([]);
      const runs = c.runs();
      t.expect(await list("🙂")).toBe(`🙂:${runs + 1}`);
      t.expect(await cache.deleteTags("page:🙂")).toBe(1);
      // Literal text with a lone surrogate is refused when wrapping, in tags, keys and targets.
      const work = async function work(id: string) {
        return id;
      };
      for (const wrap of [
        () => cache.cached({ ttl: "10s", tags: ["t\ud800:{id}"] })(work),
        () => cache.cached({ ttl: "10s", key: "u\udc00:{id}" })(work),
        () => cache.invalidate("u:\ud800{id}*")(work),
      ]) {
        expectCacheError(h, thrown(wrap), h.lib.CacheConfigError);
      }
    });

    t.it("an invalidate target whose glob renders a lone surrogate is a CacheArgumentError", async () => {
      const cache = await h.open();
      await cache.set("u:x\ufffd:1", 1);
      const drop = cache.invalidate("u:{id}:*")(async function drop(id: string) {
        return id;
      });
      expectCacheError(h, await rejection(() => drop("x\ud800")), h.lib.CacheArgumentError);
      t.expect(await cache.get("u:x\ufffd:1")).toBe(1);
    });

    const bulk = h.target.bulkTagKeys ?? 1_000;
    t.it(
      `${bulk.toLocaleString("en")} tagged keys go in one deleteTags call`,
      async () => {
        const cache = await h.open();
        for (let start = 0; start < bulk; start += 100) {
          await Promise.all(
            Array.from({ length: Math.min(100, bulk - start) }, (_, i) =>
              cache.set(`bulk:${start + i}`, i, { tags: ["bulk"] }),
            ),
          );
        }
        await cache.set("keep", "untagged");
        await cache.set("other", "tagged", { tags: ["other"] });
        t.expect(await cache.deleteTags("bulk")).toBe(bulk);
        t.expect(await collect(cache.scan("bulk:*"))).toEqual([]);
        t.expect(await cache.getMany(["keep", "other"])).toEqual(["untagged", "tagged"]);
      },
      30_000,
    );

    t.it("strategy tags are templates: deleteTags drops the calls that carry them", async () => {
      const cache = await h.open();
      const c = counted();
      const list = cache.cached({ ttl: "10s", tags: ["items", "page:{page}"] })(async function list(
        page: number,
      ) {
        return c.fn(page);
      });
      t.expect([await list(1), await list(2)]).toEqual(["1:1", "2:2"]);
      t.expect(await cache.deleteTags("page:1")).toBe(1);
      t.expect([await list(1), await list(2)]).toEqual(["1:3", "2:2"]);
      t.expect(await cache.deleteTags("items")).toBe(2);
      t.expect([await list(1), await list(2)]).toEqual(["1:4", "2:5"]);
    });

    t.it("invalidateFurther makes cached reads miss and refresh, and nothing leaks outside", async () => {
      const cache = await h.open();
      const c = counted();
      const load = cache.cached({ ttl: "10s" })(c.fn);
      t.expect(await load("a")).toBe("a:1");
      const release = gate();
      const refreshed = gate();
      const inside = cache.invalidateFurther(async () => {
        const fresh = await load("a");
        refreshed.open();
        await release.promise;
        return fresh;
      });
      await refreshed.promise;
      if (h.hasAls) {
        // A sibling context reading while the scope is still open hits what the scope stored.
        t.expect(await load("a")).toBe("a:2");
        t.expect(c.runs()).toBe(2);
      }
      release.open();
      const fresh = await inside;
      t.expect(fresh).toBe("a:2");
      const runs = c.runs();
      t.expect(await load("a")).toBe("a:2");
      t.expect(c.runs()).toBe(runs);
    });

    t.it(
      "an invalidation while a load runs wins: the load does not store, and a later call loads afresh",
      async () => {
        const cache = await h.open();
        let version = 1;
        const started = gate();
        const release = gate();
        const getUser = cache.cached({ ttl: "10s", key: "user:{id}" })(async function getUser(id: string) {
          const seen = version;
          started.open();
          await release.promise;
          return `${id}@${seen}`;
        });
        const first = getUser("1");
        await within(started.promise, 5_000, "the first load to start");
        version = 2; // the data changes, then the cache is told
        await getUser.invalidate("1");
        // Does not share the load that began before the invalidation.
        const second = getUser("1");
        release.open();
        t.expect(await first).toBe("1@1");
        t.expect(await second).toBe("1@2");
        t.expect(await cache.get("user:1")).toBe("1@2");
      },
    );

    t.it("a set, deleteTags or deleteMatch while a load runs wins over the load's result", async () => {
      type Cache = Awaited<ReturnType<typeof h.open>>;
      const cases: [string, (cache: Cache, key: string) => Promise<unknown>, unknown][] = [
        ["set", (cache, key) => cache.set(key, "newer"), "newer"],
        ["deleteTags", (cache) => cache.deleteTags("users"), MISS],
        ["deleteMatch", (cache) => cache.deleteMatch("user:*"), MISS],
      ];
      // Each on an empty cache: the invalidation finds nothing stored, only the load in flight.
      for (const [what, invalidate, expected] of cases) {
        const cache = await h.open();
        const started = gate();
        const release = gate();
        const key = `user:${what}`;
        const load = cache.cached({ ttl: "10s", key: "user:{what}", tags: ["users"] })(async function load(
          what: string,
        ) {
          started.open();
          await release.promise;
          return `${what}: loaded before the change`;
        });
        const pending = load(what);
        await within(started.promise, 5_000, `the load before ${what}`);
        await invalidate(cache, key);
        release.open();
        t.expect(await pending).toBe(`${what}: loaded before the change`);
        t.expect([what, await cache.get(key, MISS)]).toEqual([what, expected]);
      }

      const cache = await h.open();
      const started = gate();
      const release = gate();
      const computed = cache.getOrSet("plain", async () => {
        started.open();
        await release.promise;
        return "old";
      });
      await within(started.promise, 5_000, "the getOrSet factory");
      await cache.delete("plain");
      release.open();
      t.expect(await computed).toBe("old");
      t.expect(await cache.get("plain", MISS)).toBe(MISS);
    });

    t.it(
      "a deleteTags of another tag, or a deleteMany or setMany of other keys, lets a running load store",
      async () => {
        const cases: [string, (cache: Awaited<ReturnType<typeof h.open>>) => Promise<unknown>][] = [
          ["deleteTags", (cache) => cache.deleteTags("others")],
          ["deleteMany", (cache) => cache.deleteMany(["other:1", "other:2"])],
          ["setMany", (cache) => cache.setMany({ "other:1": 1, "other:2": 2 })],
        ];
        for (const [what, unrelated] of cases) {
          const cache = await h.open();
          await cache.set("other:1", 0, { tags: ["others"] });
          const started = gate();
          const release = gate();
          const load = cache.cached({ ttl: "10s", key: "user:{what}", tags: ["users"] })(async function load(
            what: string,
          ) {
            started.open();
            await release.promise;
            return `${what}: loaded`;
          });
          const pending = load(what);
          await within(started.promise, 5_000, `the load before ${what}`);
          await unrelated(cache);
          release.open();
          t.expect(await pending).toBe(`${what}: loaded`);
          t.expect([what, await cache.get(`user:${what}`, MISS)]).toEqual([what, `${what}: loaded`]);
        }
      },
    );
  });
}
