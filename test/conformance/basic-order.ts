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
