// Transactions (SPEC 7), commands issued together and what they store: commands on one key take
// effect in call order, as they do outside; the locks of the `locked` and `serializable` modes
// never stand for each other whatever the keys are called, nor outlive the transaction; and
// values keep what the backend's `serializer` makes of them.
import { matchSorted } from "./basic-harness";
import { expectCacheError, gate, MISS, rejection, type StrategyHarness } from "./strategy-harness";

/** A class the built-in codec does not know, which the serializer below keeps. */
class Point {
  constructor(readonly x: number) {}
}

/** Plain JSON, with `Point`s as `{ "point": x }`. */
const POINTS = {
  encode: (value: unknown): string => JSON.stringify(value instanceof Point ? { point: value.x } : value),
  decode: (text: string): unknown => {
    const data: unknown = JSON.parse(text);
    return typeof data === "object" && data !== null && "point" in data
      ? new Point(data.point as number)
      : data;
  },
};

export function transactionKeyTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("transactions, one key at a time", () => {
    t.it("commands on one key issued together take effect in call order, none lost", async () => {
      const cache = await h.open();
      await cache.set("n", 10, { ttl: "1h" });
      const seen = await cache.transaction(() =>
        Promise.all([
          cache.incr("n"),
          cache.incr("n", 2),
          cache.get("n"),
          cache.set("s", 1),
          cache.incr("s"),
          cache.exists("s"),
          cache.delete("s"),
          cache.get("s", MISS),
        ]),
      );
      t.expect(seen).toEqual([11, 13, 13, true, 2, true, true, MISS]);
      t.expect(await cache.getMany(["n", "s"], MISS)).toEqual([13, MISS]);
      t.expect(await cache.getExpire("n")).toBeGreaterThan(3_000_000);
    });

    t.it("in locked mode, commands on one key issued together do not wait for their own lock", async () => {
      const cache = await h.open();
      await cache.set("gone", 1);
      const seen = await cache.transaction(
        () => Promise.all([cache.incr("n"), cache.incr("n"), cache.deleteMany(["gone", "gone"])]),
        { mode: "locked", timeout: "300ms" },
      );
      t.expect(seen).toEqual([1, 2, 1]);
      t.expect(await cache.getMany(["n", "gone"], MISS)).toEqual([2, MISS]);
      // Every lock went with the transaction: the next one takes them at once.
      await cache.transaction(() => Promise.all([cache.incr("n"), cache.set("gone", 2)]), {
        mode: "locked",
        timeout: "50ms",
      });
      t.expect(await cache.getMany(["n", "gone"])).toEqual([3, 2]);
    });

    t.it("a locked transaction's key lock is never the serializable lock, whatever the key", async () => {
      if (!h.hasAls) return;
      const cache = await h.open();
      const holding = gate();
      const release = gate();
      const keys = ["*serializable*", "serializable", "*"];
      const holder = cache.transaction(
        async () => {
          for (const key of keys) await cache.set(key, "locked");
          holding.open();
          await release.promise;
        },
        { mode: "locked", timeout: "5s" },
      );
      await holding.promise;
      const serial = await cache.transaction(() => cache.set("other", 1), {
        mode: "serializable",
        timeout: "100ms",
      });
      t.expect(serial).toBe(true);
      // The key locks themselves still hold.
      const late = await rejection(() =>
        cache.transaction(() => cache.set("*serializable*", "late"), { mode: "locked", timeout: "50ms" }),
      );
      expectCacheError(h, late, h.lib.LockedError);
      release.open();
      await holder;
      t.expect(await cache.getMany([...keys, "other"])).toEqual(["locked", "locked", "locked", 1]);
    });

    t.it("a lock its key obtains only after the transaction ended is released at once", async () => {
      if (!h.hasAls) return;
      const slowLock = gate();
      // The lock of "b" is taken only once the transaction has failed on "a" and ended.
      const cache = await h.open({
        middlewares: [
          async (call, next) => {
            if (call.command === "setLock" && call.key?.endsWith("txlock:b") === true) await slowLock.promise;
            return next();
          },
        ],
      });
      const holding = gate();
      const release = gate();
      const holder = cache.transaction(
        async () => {
          await cache.set("a", "holder");
          holding.open();
          await release.promise;
        },
        { mode: "locked", timeout: "5s" },
      );
      await holding.promise;
      const pending: Promise<unknown>[] = [];
      const failed = await rejection(() =>
        cache.transaction(
          () => {
            pending.push(rejection(() => cache.set("b", "late")));
            return cache.set("a", "late");
          },
          { mode: "locked", timeout: "50ms" },
        ),
      );
      expectCacheError(h, failed, h.lib.LockedError);
      slowLock.open();
      expectCacheError(h, await pending[0], h.lib.TransactionError);
      release.open();
      await holder;
      await cache.transaction(() => cache.set("b", "next"), { mode: "locked", timeout: "100ms" });
      t.expect(await cache.getMany(["a", "b"])).toEqual(["holder", "next"]);
    });

    t.it("in locked mode, writes issued together all stay inside the transaction", async () => {
      const cache = await h.open();
      const inside = await cache.transaction(
        async (tx) => {
          await Promise.all([cache.set("a", 1), cache.set("b", 2), cache.incr("c")]);
          tx.rollback();
          return cache.getMany(["a", "b", "c"], MISS);
        },
        { mode: "locked", timeout: "1s" },
      );
      t.expect(inside).toEqual([1, 2, 1]);
      t.expect(await cache.getMany(["a", "b", "c"], MISS)).toEqual([MISS, MISS, MISS]);
    });

    t.it("values set inside go through the backend's serializer, inside and at commit", async () => {
      const cache = await h.open({ serializer: POINTS });
      await cache.set("stored", new Point(1));
      const inside = await cache.transaction(async () => {
        await cache.set("staged", new Point(2));
        await cache.expire("stored", "1h");
        return [await cache.get("staged"), await cache.get("stored"), await matchSorted(cache, "*")];
      });
      t.expect(inside).toStrictEqual([
        new Point(2),
        new Point(1),
        [
          ["staged", new Point(2)],
          ["stored", new Point(1)],
        ],
      ]);
      t.expect(await cache.getMany(["staged", "stored"])).toStrictEqual([new Point(2), new Point(1)]);
    });
  });
}
