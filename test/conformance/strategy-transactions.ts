// Transactions (SPEC 7): isolation until commit, rollback by throw or `tx.rollback()`, `locked`
// and `serializable` modes, nesting, and TTLs applied at commit. Reads from outside a running
// transaction need a real AsyncLocalStorage; the browser fallback runs those parts in sequence.
import { matchSorted, scanSorted } from "./basic-harness";
import {
  Boom,
  expectCacheError,
  gate,
  inTime,
  MISS,
  rejection,
  type StrategyHarness,
  sleep,
} from "./strategy-harness";

export function transactionTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("transactions", () => {
    t.it("writes are visible inside only, and outside once committed", async () => {
      const cache = await h.open();
      await cache.setMany([
        ["existing", "old"],
        ["x1", 1],
        ["pre:1", 1],
        ["pre:2", 2],
      ]);
      const inside = gate();
      const release = gate();
      const seen: unknown[] = [];
      const tx = cache.transaction(async () => {
        await cache.set("k", 1);
        t.expect(await cache.delete("existing")).toBe(true);
        t.expect(await cache.incr("n", 5)).toBe(5);
        await cache.setMany([
          ["m1", 1],
          ["m2", 2],
        ]);
        t.expect(await cache.deleteMany(["x1"])).toBe(1);
        t.expect(await cache.deleteMatch("pre:*")).toBe(2);
        seen.push(await cache.get("k"), await cache.get("existing", MISS), await cache.get("n"));
        seen.push(await cache.getMany(["m1", "m2", "x1", "pre:1"], MISS), await cache.exists("k"));
        inside.open();
        await release.promise;
        return "committed";
      });
      await inside.promise;
      t.expect(seen).toEqual([1, MISS, 5, [1, 2, MISS, MISS], true]);
      if (h.hasAls) {
        t.expect(await cache.getMany(["k", "existing", "n", "m1", "x1", "pre:1"], MISS)).toEqual([
          MISS,
          "old",
          MISS,
          MISS,
          1,
          1,
        ]);
        t.expect(await cache.exists("k")).toBe(false);
      }
      release.open();
      t.expect(await tx).toBe("committed");
      t.expect(await cache.getMany(["k", "existing", "n", "m1", "m2", "x1", "pre:1", "pre:2"], MISS)).toEqual(
        [1, MISS, 5, 1, 2, MISS, MISS, MISS],
      );
    });

    t.it("a throw or tx.rollback() drops the writes", async () => {
      const cache = await h.open();
      await cache.set("keep", "kept");
      const boom = new Boom();
      const error = await rejection(() =>
        cache.transaction(async () => {
          await cache.set("a", 1);
          await cache.delete("keep");
          throw boom;
        }),
      );
      t.expect(error).toBe(boom);
      t.expect(await cache.get("a", MISS)).toBe(MISS);
      t.expect(await cache.get("keep")).toBe("kept");
      const result = await cache.transaction(async (tx) => {
        await cache.set("b", 1);
        await cache.incr("keepCount");
        tx.rollback();
        return "rolled back";
      });
      t.expect(result).toBe("rolled back");
      t.expect(await cache.getMany(["b", "keepCount"], MISS)).toEqual([MISS, MISS]);
    });

    t.it(
      "four concurrent locked transactions each doing two increments, one rolled back, give 6",
      async () => {
        const cache = await h.open();
        const run = (index: number) =>
          cache.transaction(
            async (tx) => {
              await cache.incr("n");
              await sleep(5);
              await cache.incr("n");
              if (index === 2) tx.rollback();
            },
            { mode: "locked", timeout: "5s" },
          );
        if (h.hasAls) await Promise.all([0, 1, 2, 3].map(run));
        else for (const index of [0, 1, 2, 3]) await run(index);
        t.expect(await cache.get("n")).toBe(6);
      },
    );

    t.it(
      "serializable transactions run one at a time; a lock not obtained in time is LockedError",
      async () => {
        const cache = await h.open();
        const bump = () =>
          cache.transaction(
            async () => {
              const value = (await cache.get("s", 0)) as number;
              await sleep(5);
              await cache.set("s", value + 1);
            },
            { mode: "serializable", timeout: "5s" },
          );
        if (h.hasAls) await Promise.all([bump(), bump(), bump()]);
        else for (let i = 0; i < 3; i++) await bump();
        t.expect(await cache.get("s")).toBe(3);
        if (!h.hasAls) return;
        const holding = gate();
        const release = gate();
        const holder = cache.transaction(
          async () => {
            await cache.set("L", "holder");
            holding.open();
            await release.promise;
          },
          { mode: "locked", timeout: "5s" },
        );
        await holding.promise;
        const late = await rejection(() =>
          cache.transaction(() => cache.set("L", "late"), { mode: "locked", timeout: "50ms" }),
        );
        expectCacheError(h, late, h.lib.LockedError);
        release.open();
        await holder;
        t.expect(await cache.get("L")).toBe("holder");
      },
    );

    t.it("reads inside count in cache.stats() and detect, as outside", async () => {
      const cache = await h.open();
      const item = cache.cached({ ttl: "10s", key: "item:{0}" })(async (id: string) => `${id}!`);
      await item("a");
      await cache.set("k", 1);
      const before = cache.stats();
      const { calls } = await cache.transaction(() =>
        cache.detect(async () => {
          t.expect(await item("a")).toBe("a!");
          t.expect(await item("b")).toBe("b!");
          t.expect(await cache.get("k")).toBe(1);
          t.expect(await cache.get("none", MISS)).toBe(MISS);
          t.expect(await cache.getOrSet("k", () => 2)).toBe(1);
          t.expect(await cache.getOrSet("made", () => 3)).toBe(3);
        }),
      );
      const stats = cache.stats();
      t.expect([
        stats.requests - before.requests,
        stats.hits - before.hits,
        stats.misses - before.misses,
        stats.loads - before.loads,
      ]).toEqual([6, 3, 3, 2]);
      t.expect(Object.keys(calls).sort()).toEqual(["item:a", "k"]);
      t.expect(calls["item:a"]?.[0]?.name).toBe("cached");
      t.expect(calls.k?.map((call) => call.name)).toEqual(["get", "getOrSet"]);
    });

    t.it("a nested transaction joins the outer one", async () => {
      const cache = await h.open();
      await cache.transaction(async (outer) => {
        await cache.set("a", 1);
        const inner = await cache.transaction(async () => {
          await cache.set("b", 2);
          return cache.get("a");
        });
        t.expect(inner).toBe(1);
        t.expect(await cache.get("b")).toBe(2);
        outer.rollback();
      });
      // The inner write went with the outer rollback: it was never committed on its own.
      t.expect(await cache.getMany(["a", "b"], MISS)).toEqual([MISS, MISS]);
      await cache.transaction(async () => {
        await cache.transaction(() => cache.set("c", 3));
      });
      t.expect(await cache.get("c")).toBe(3);
      // One set of writes: an inner throw the outer catches drops nothing, an inner rollback all.
      await cache.transaction(async () => {
        await cache.set("d", 4);
        await cache
          .transaction(async () => {
            await cache.set("e", 5);
            throw new Error("inner");
          })
          .catch(() => undefined);
      });
      t.expect(await cache.getMany(["d", "e"], MISS)).toEqual([4, 5]);
      await cache.transaction(async () => {
        await cache.set("f", 6);
        await cache.transaction(async (inner) => {
          await cache.set("g", 7);
          inner.rollback();
        });
      });
      t.expect(await cache.getMany(["f", "g"], MISS)).toEqual([MISS, MISS]);
    });

    t.it("scan, getMatch, getExpire and getKeysCount inside see the transaction's own writes", async () => {
      const cache = await h.open();
      await cache.set("a:gone", 1);
      await cache.set("a:kept", 2, { ttl: "10s" });
      await cache.set("a:plain", 3, { ttl: "10s" });
      const before = await cache.getKeysCount();
      const inside = gate();
      const release = gate();
      const seen: unknown[] = [];
      const tx = cache.transaction(async () => {
        await cache.set("a:new", 4, { ttl: "5s" });
        await cache.set("a:plain", "rewritten");
        await cache.delete("a:gone");
        await cache.set("b:new", 5);
        seen.push(await scanSorted(cache, "a:*"), await matchSorted(cache, "a:*"));
        seen.push(await cache.getKeysCount());
        seen.push(...(await Promise.all(["a:gone", "a:plain", "b:new"].map((key) => cache.getExpire(key)))));
        seen.push(await cache.getExpire("a:new"), await cache.getExpire("a:kept"));
        inside.open();
        await release.promise;
      });
      await inside.promise;
      const [scanned, matched, count, gone, plain, untimed, fresh, kept] = seen;
      t.expect(scanned).toEqual(["a:kept", "a:new", "a:plain"]);
      t.expect(matched).toEqual([
        ["a:kept", 2],
        ["a:new", 4],
        ["a:plain", "rewritten"],
      ]);
      t.expect([count, gone, plain, untimed]).toEqual([before + 1, -2, -1, -1]);
      t.expect(fresh).toBeGreaterThan(4_000);
      t.expect(fresh).toBeLessThanOrEqual(5_000);
      t.expect(kept).toBeGreaterThan(0);
      t.expect(kept).toBeLessThanOrEqual(10_000);
      if (h.hasAls) {
        t.expect(await scanSorted(cache, "a:*")).toEqual(["a:gone", "a:kept", "a:plain"]);
        t.expect(await cache.getKeysCount()).toBe(before);
        t.expect(await cache.getExpire("a:new")).toBe(-2);
      }
      release.open();
      await tx;
      t.expect(await scanSorted(cache, "a:*")).toEqual(["a:kept", "a:new", "a:plain"]);
      t.expect(await cache.getKeysCount()).toBe(before + 1);
    });

    t.it(
      "deleteTags inside reaches the keys the transaction tagged and spares those it untagged",
      async () => {
        const cache = await h.open();
        await cache.set("stored", 1, { tags: ["t"] });
        await cache.set("untagged", 2, { tags: ["t"] });
        const inside = await cache.transaction(async () => {
          await cache.set("staged", 3, { tags: ["t"] });
          await cache.set("untagged", "plain");
          await cache.set("other", 4, { tags: ["other"] });
          const count = await cache.deleteTags("t");
          return [count, await cache.getMany(["stored", "staged", "untagged", "other"], MISS)];
        });
        t.expect(inside).toEqual([2, [MISS, MISS, "plain", 4]]);
        t.expect(await cache.getMany(["stored", "staged", "untagged", "other"], MISS)).toEqual([
          MISS,
          MISS,
          "plain",
          4,
        ]);
        t.expect(await cache.deleteTags("t")).toBe(0);
        t.expect(await cache.get("untagged")).toBe("plain");
      },
    );

    t.it(
      "incr inside keeps a stored counter's tags and TTL; on a non-number it is CacheValueError",
      async () => {
        const cache = await h.open();
        await cache.set("n", 1, { ttl: "10s", tags: ["counters"] });
        await cache.set("text", "not a number");
        const error = await cache.transaction(async () => {
          t.expect(await cache.incr("n", 2)).toBe(3);
          return rejection(() => cache.incr("text"));
        });
        expectCacheError(h, error, h.lib.CacheValueError);
        t.expect(await cache.getMany(["n", "text"])).toEqual([3, "not a number"]);
        t.expect(await cache.getExpire("n")).toBeGreaterThan(0);
        t.expect(await cache.deleteTags("counters")).toBe(1);
        t.expect(await cache.get("n", MISS)).toBe(MISS);
      },
    );

    t.it(
      "expire inside is staged: a rollback keeps the stored TTL, a commit applies it with the tags",
      async () => {
        const cache = await h.open();
        await cache.set("k", "v", { ttl: "1h", tags: ["group"] });
        await cache.transaction(async (tx) => {
          t.expect(await cache.expire("k", "5s")).toBe(true);
          t.expect(await cache.getExpire("k")).toBe(5_000);
          t.expect(await cache.expire("missing", "5s")).toBe(false);
          tx.rollback();
        });
        t.expect(await cache.getExpire("k")).toBeGreaterThan(3_000_000);
        await cache.transaction(async () => {
          t.expect(await cache.expire("k", "5s")).toBe(true);
        });
        const left = await cache.getExpire("k");
        t.expect(left).toBeGreaterThan(0);
        t.expect(left).toBeLessThanOrEqual(5_000);
        t.expect(await cache.get("k")).toBe("v");
        t.expect(await cache.exists("missing")).toBe(false);
        // expire(key, 0) ends the key, seen inside at once and outside from the commit.
        await cache.transaction(async () => {
          t.expect(await cache.expire("k", 0)).toBe(true);
          t.expect(await cache.get("k", MISS)).toBe(MISS);
        });
        t.expect(await cache.get("k", MISS)).toBe(MISS);
        // The tags went through the commit: a new tagged key and one re-timed keep their index.
        await cache.set("t", 1, { tags: ["group"] });
        await cache.transaction(async () => {
          t.expect(await cache.expire("t", "10s")).toBe(true);
        });
        t.expect(await cache.deleteTags("group")).toBe(1);
        t.expect(await cache.get("t", MISS)).toBe(MISS);
      },
    );

    t.it("sub-second TTLs are kept on commit and count from the commit", async () => {
      const cache = await h.open();
      const x = h.target.timeScale ?? 1;
      // Counted from the write inside the transaction, 200 ms before the commit, a TTL would have
      // at most 100 ms left; counted from the commit it has 300 ms minus what the commit and the
      // read took, which is measured, and an attempt too slow to tell the two apart is repeated.
      await inTime("TTLs from the commit", async (n, deadline) => {
        const keys = [`t${n}`, `counter${n}`];
        let sinceCommit: ReturnType<typeof deadline> | undefined;
        await cache.transaction(async () => {
          await cache.set(`t${n}`, 1, { ttl: 300 * x });
          await cache.incr(`counter${n}`, 1, { ttl: 300 * x });
          await cache.set(`forever${n}`, 1);
          await sleep(200 * x);
          sinceCommit = deadline(150 * x);
        });
        const left = [await cache.getExpire(keys[0] as string), await cache.getExpire(keys[1] as string)];
        const took = sinceCommit?.elapsed() ?? 0;
        sinceCommit?.check();
        for (const ms of left) {
          t.expect(ms).toBeGreaterThanOrEqual(300 * x - took - 2);
          t.expect(ms).toBeLessThanOrEqual(300 * x);
        }
        t.expect(await cache.getExpire(`forever${n}`)).toBe(-1);
        await sleep(450 * x);
        t.expect(await cache.getMany([...keys, `forever${n}`], MISS)).toEqual([MISS, MISS, 1]);
      });
    });
  });
}
