import { type Harness, MISS } from "./basic-harness";
import type { SetupOptions } from "./types";

/** Long enough to be compressed, so its record takes a promise to encode. */
const BIG = { text: "a value that is compressed before it is stored ".repeat(60), n: 1 };

/** Setups under which a write's record is encoded asynchronously: compressed, signed, or both. */
const ASYNC_SETUPS: [string, SetupOptions][] = [
  ["compress: true", { compress: true }],
  ["secret", { secret: "s1", onError: () => {} }],
  ["compress: true and secret", { compress: true, secret: "s1", onError: () => {} }],
];

/**
 * SPEC 4: the writes a program makes to one key take effect in the order it called them, even
 * when it does not wait for each one and a write's record takes a promise to encode (a compressed
 * or signed value), so a later small write or delete is never undone by an earlier large write.
 * (Whether a read that overlaps a write sees it is the backend's own affair: the fs backend's
 * reads take no lock. test/unit/order.test.ts covers reads on the memory backend.)
 */
export function orderTests(h: Harness): void {
  const { t } = h;

  // Commands made of a read and a write that depends on it: `set` with `exist` (read first where
  // the TTL lives in records), `expire` (rewrites the record there) and a fractional `incr`
  // (always rewritten). Within one cache each is one step among its key's commands.
  t.describe("read-then-write commands are one step among the key's commands", () => {
    t.it("set with exist: of two adds one stores, and a later set or delete is not undone", async () => {
      const c = await h.open();
      const adds = await Promise.all([
        c.set("n", "first", { exist: false }),
        c.set("n", "second", { exist: false }),
      ]);
      t.expect(adds.filter(Boolean)).toHaveLength(1);
      t.expect(await c.get("n")).toBe(adds[0] ? "first" : "second");

      await c.set("k", "old", { ttl: "1h" });
      t.expect(await Promise.all([c.set("k", "new", { exist: true, ttl: "1h" }), c.delete("k")])).toEqual([
        true,
        true,
      ]);
      t.expect(await c.get("k", MISS)).toBe(MISS);

      await c.set("s", "old", { ttl: "1h" });
      await Promise.all([c.set("s", "conditional", { exist: true, ttl: "1h" }), c.set("s", "plain")]);
      t.expect(await c.get("s")).toBe("plain");
    });

    t.it("expire: a set or delete called after it is not undone by its rewrite", async () => {
      const c = await h.open();
      for (const ttl of ["1h", "2s"]) {
        await c.set("e", "old", { ttl: "1h" });
        await Promise.all([c.expire("e", ttl), c.set("e", "new")]);
        t.expect(await c.get("e")).toBe("new");
        t.expect(await c.getExpire("e")).toBe(-1);

        await c.set("d", "old", { ttl: "1h" });
        t.expect(await Promise.all([c.expire("d", ttl), c.delete("d")])).toEqual([true, true]);
        t.expect(await c.get("d", MISS)).toBe(MISS);
      }
    });

    t.it("fractional incr: increments add up, and a later set or delete is not undone", async () => {
      const c = await h.open();
      await Promise.all([c.incr("c", 0.5), c.incr("c", 0.25), c.incr("c", 0.25)]);
      t.expect(await c.get("c")).toBe(1);

      await Promise.all([c.incr("c", 0.5), c.delete("c")]);
      t.expect(await c.get("c", MISS)).toBe(MISS);

      await Promise.all([c.incr("c", 0.5), c.set("c", 10)]);
      t.expect(await c.get("c")).toBe(10);
    });
  });

  t.describe("command order while a record is encoded", () => {
    for (const [label, options] of ASYNC_SETUPS) {
      t.it(
        `${label}: a later set, delete or expire of the key is not undone by the earlier write`,
        async () => {
          const c = await h.open(options);
          await Promise.all([c.set("k", BIG), c.set("k", "small")]);
          t.expect(await c.get("k")).toBe("small");

          await Promise.all([c.set("gone", BIG), c.delete("gone")]);
          t.expect(await c.get("gone", MISS)).toBe(MISS);

          await Promise.all([c.set("tagged", BIG, { tags: ["order"] }), c.set("tagged", "small")]);
          t.expect(await c.get("tagged")).toBe("small");

          await Promise.all([c.setMany({ many: BIG }), c.set("many", "small")]);
          t.expect(await c.get("many")).toBe("small");

          await Promise.all([c.set("ttl", BIG), c.expire("ttl", "1h")]);
          t.expect(await c.getExpire("ttl")).toBeGreaterThan(0);
        },
      );

      t.it(`${label}: a command on several keys is not undone by an earlier write either`, async () => {
        const c = await h.open(options);
        await c.set("a", "small");
        await Promise.all([c.set("x", BIG), c.set("a", BIG), c.deleteMany(["x", "a"])]);
        t.expect(await c.getMany(["x", "a"], MISS)).toEqual([MISS, MISS]);

        await Promise.all([c.set("y", BIG), c.setMany({ y: "small", z: "small" })]);
        t.expect(await c.getMany(["y", "z"], MISS)).toEqual(["small", "small"]);
      });
    }
  });
}
