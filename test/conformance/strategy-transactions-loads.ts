// Loads inside a transaction (SPEC 5 and 7): concurrent `getOrSet` and wrapped-function calls of
// one key share one execution there too, but only with the transaction's own callers: a load
// inside reads the transaction's pending writes, one outside does not, so neither joins the other.
import { gate, MISS, type StrategyHarness, until } from "./strategy-harness";
import type { StrategyCacheLike } from "./strategy-types";

/** A wrapped function whose result names the `dep` it read, held at `open` until the test opens it. */
function dependent(cache: StrategyCacheLike) {
  let count = 0;
  const open = gate();
  const load = cache.cached({ ttl: "1h" })(async function dependent(id: string) {
    const dep = await cache.get("dep");
    count++;
    await open.promise;
    return `${id}:${String(dep)}`;
  });
  return { load, open, runs: () => count };
}

export function transactionLoadTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("loads inside a transaction", () => {
    t.it("concurrent getOrSet calls of one key run the factory once; its value is staged", async () => {
      const cache = await h.open();
      let runs = 0;
      const open = gate();
      const factory = async () => {
        runs++;
        await open.promise;
        return `v${runs}`;
      };
      const values = await cache.transaction(async () => {
        const both = Promise.all([cache.getOrSet("k", factory), cache.getOrSet("k", factory)]);
        open.open();
        const got = await both;
        got.push(await cache.getOrSet("k", factory), await cache.get("k"));
        return got;
      });
      t.expect(values).toEqual(["v1", "v1", "v1", "v1"]);
      t.expect(runs).toBe(1);
      t.expect(await cache.get("k")).toBe("v1");
    });

    t.it(
      "a getOrSet after the transaction's own write of the key reads that write, or loads anew",
      async () => {
        const cache = await h.open();
        await cache.set("k", "stored");
        const gates = [gate<string>(), gate<string>()];
        let runs = 0;
        const factory = () => gates[runs++]?.promise ?? Promise.resolve("more");
        const staged = await cache.transaction(async () => {
          await cache.delete("k");
          const first = cache.getOrSet("k", factory); // begins before the delete below
          await until(() => runs === 1, "the first factory run");
          await cache.delete("k");
          const second = cache.getOrSet("k", factory);
          await until(() => runs === 2, "the second factory run");
          gates[1]?.open("after the delete");
          t.expect(await second).toBe("after the delete");
          gates[0]?.open("before the delete");
          t.expect(await first).toBe("before the delete");
          return cache.get("k");
        });
        t.expect(runs).toBe(2);
        // The load that began before the delete does not stage over the later one.
        t.expect(staged).toBe("after the delete");
        t.expect(await cache.get("k")).toBe("after the delete");
      },
    );

    t.it("a getOrSet whose tag the transaction invalidates while it loads stages nothing", async () => {
      const cache = await h.open();
      const open = gate<string>();
      let started = false;
      const factory = () => {
        started = true;
        return open.promise;
      };
      const result = await cache.transaction(async () => {
        const pending = cache.getOrSet("k", factory, { tags: ["t"] });
        // The load must be under way (its ticket taken) when the tag is invalidated.
        await until(() => started, "the factory run");
        await cache.deleteTags("t");
        open.open("loaded before the invalidation");
        return [await pending, await cache.get("k", MISS)];
      });
      t.expect(result).toEqual(["loaded before the invalidation", MISS]);
      t.expect(await cache.get("k", MISS)).toBe(MISS);
    });

    t.it(
      "concurrent calls of a wrapped function run it once, and its result is the transaction's",
      async () => {
        const cache = await h.open();
        let runs = 0;
        const open = gate();
        const load = cache.cached({ ttl: "1h" })(async function load(id: string) {
          runs++;
          await open.promise;
          return `${id}:${runs}`;
        });
        await cache.transaction(async (tx) => {
          const both = Promise.all([load("a"), load("a")]);
          open.open();
          t.expect(await both).toEqual(["a:1", "a:1"]);
          t.expect(await load("a")).toBe("a:1");
          tx.rollback();
        });
        t.expect(runs).toBe(1);
        t.expect(await cache.get(await load.key("a"), MISS)).toBe(MISS);
      },
    );

    t.it(
      "a write called while a locked transaction's load runs wins over the load's result, though it waits for the key's lock",
      async () => {
        if (!h.hasAls) return; // two transactions at once
        const cache = await h.open();
        const loaded = gate<string>();
        let started = false;
        const load = cache.cached({ ttl: "1h", key: "k" })(async function load() {
          started = true;
          return loaded.promise;
        });
        const release = gate();
        let holding = false;
        const other = cache.transaction(
          async () => {
            await cache.set("k", "other");
            holding = true;
            await release.promise;
          },
          { mode: "locked" },
        );
        await until(() => holding, "the other transaction holds the key's lock");
        const mine = cache.transaction(
          async () => {
            const loading = load();
            await until(() => started, "the load began");
            const write = cache.set("k", "written"); // waits for the other transaction's lock
            loaded.open("loaded");
            // A macrotask later the load's own store has been called, queued behind the write.
            await new Promise((resolve) => setTimeout(resolve, 20));
            release.open();
            await write;
            t.expect(await loading).toBe("loaded");
            return cache.get("k");
          },
          { mode: "locked" },
        );
        t.expect(await mine).toBe("written");
        await other;
        t.expect(await cache.get("k")).toBe("written");
      },
    );

    t.it("a load inside does not join one running outside: it reads the transaction's writes", async () => {
      if (!h.hasAls) return; // needs a load outside running while the transaction runs
      const cache = await h.open();
      await cache.set("dep", "committed");
      const { load, open, runs } = dependent(cache);
      const outside = load("a");
      await until(() => runs() === 1, "the first load began");
      const inside = cache.transaction(async (tx) => {
        await cache.set("dep", "pending");
        const own = load("a");
        await until(() => runs() === 2, "the second load began");
        open.open();
        tx.rollback();
        return own;
      });
      t.expect(await inside).toBe("a:pending");
      t.expect(await outside).toBe("a:committed");
      t.expect(await cache.get(await load.key("a"))).toBe("a:committed");
    });

    t.it("a load outside does not join one running inside: it never sees pending writes", async () => {
      if (!h.hasAls) return;
      const cache = await h.open();
      await cache.set("dep", "committed");
      const { load, open, runs } = dependent(cache);
      const started = gate();
      const inside = cache.transaction(async (tx) => {
        await cache.set("dep", "pending");
        const own = load("b");
        await until(() => runs() === 1, "the first load began");
        started.open();
        const value = await own;
        tx.rollback();
        return value;
      });
      await started.promise;
      const outside = load("b");
      await until(() => runs() === 2, "the second load began");
      open.open();
      t.expect(await outside).toBe("b:committed");
      t.expect(await inside).toBe("b:pending");
      t.expect(await cache.get(await load.key("b"))).toBe("b:committed");
    });
  });
}
