import { expectMsBetween, type Harness, MISS, rejection } from "./basic-harness";

/** SPEC 4 rows: get, set, exists, getOrSet. */
export function readWriteTests(h: Harness): void {
  const { t } = h;

  t.describe("get / set / exists", () => {
    t.it("get returns the default for a missing key, else undefined", async () => {
      const c = await h.open();
      t.expect(await c.get("missing")).toBeUndefined();
      t.expect(await c.get("missing", "fallback")).toBe("fallback");
      t.expect(await c.get("missing", MISS)).toBe(MISS);
    });

    t.it("set returns true and get reads the value back", async () => {
      const c = await h.open();
      t.expect(await c.set("k", "v")).toBe(true);
      t.expect(await c.get("k", MISS)).toBe("v");
    });

    t.it("set replaces an existing value", async () => {
      const c = await h.open();
      await c.set("k", { version: 1 });
      t.expect(await c.set("k", { version: 2 })).toBe(true);
      t.expect(await c.get("k")).toEqual({ version: 2 });
    });

    t.it("a stored null is a hit: get ignores the default and exists is true", async () => {
      const c = await h.open();
      await c.set("k", null);
      t.expect(await c.get("k", MISS)).toBeNull();
      t.expect(await c.exists("k")).toBe(true);
    });

    t.it("a stored undefined is a hit: get returns undefined despite a default, exists is true", async () => {
      const c = await h.open();
      t.expect(await c.set("k", undefined)).toBe(true);
      t.expect(await c.get("k", MISS)).toBeUndefined();
      t.expect(await c.exists("k")).toBe(true);
    });

    t.it("exists is false for a missing key, true for a stored one, false after delete", async () => {
      const c = await h.open();
      t.expect(await c.exists("k")).toBe(false);
      await c.set("k", 0);
      t.expect(await c.exists("k")).toBe(true);
      await c.delete("k");
      t.expect(await c.exists("k")).toBe(false);
    });

    t.it("set with exist: false stores only when the key is absent", async () => {
      const c = await h.open();
      t.expect(await c.set("k", "first", { exist: false })).toBe(true);
      t.expect(await c.set("k", "second", { exist: false })).toBe(false);
      t.expect(await c.get("k")).toBe("first");
    });

    t.it("set with exist: true stores only when the key is present", async () => {
      const c = await h.open();
      t.expect(await c.set("k", "first", { exist: true })).toBe(false);
      t.expect(await c.exists("k")).toBe(false);
      await c.set("k", "first");
      t.expect(await c.set("k", "second", { exist: true })).toBe(true);
      t.expect(await c.get("k")).toBe("second");
    });

    t.it("set replaces the TTL: without ttl after one with ttl, the key no longer expires", async () => {
      const c = await h.open();
      await c.set("k", 1, { ttl: "10s" });
      expectMsBetween(t, await c.getExpire("k"), 1, 10_000);
      await c.set("k", 2);
      t.expect(await c.getExpire("k")).toBe(-1);
      t.expect(await c.get("k")).toBe(2);
    });

    t.it("set replaces the TTL with the new one, longer or shorter", async () => {
      const c = await h.open();
      await c.set("k", 1, { ttl: "10s" });
      await c.set("k", 2, { ttl: "1h" });
      expectMsBetween(t, await c.getExpire("k"), 3_590_000, 3_600_000);
      await c.set("k", 3, { ttl: 5000 });
      expectMsBetween(t, await c.getExpire("k"), 3_000, 5_000);
    });

    t.it("set with exist: true also replaces the TTL", async () => {
      const c = await h.open();
      await c.set("k", 1, { ttl: "10s" });
      t.expect(await c.set("k", 2, { exist: true })).toBe(true);
      t.expect(await c.getExpire("k")).toBe(-1);
    });

    t.it("set accepts tags and stores the value", async () => {
      const c = await h.open();
      t.expect(await c.set("k", "tagged", { tags: ["items", "page:1"] })).toBe(true);
      t.expect(await c.get("k")).toBe("tagged");
    });
  });

  t.describe("getOrSet", () => {
    t.it("calls the factory on a miss, stores and returns its result", async () => {
      const c = await h.open();
      let calls = 0;
      const value = await c.getOrSet("k", () => {
        calls++;
        return { computed: true };
      });
      t.expect(value).toEqual({ computed: true });
      t.expect(calls).toBe(1);
      t.expect(await c.get("k")).toEqual({ computed: true });
    });

    t.it("returns the cached value without calling the factory on a hit", async () => {
      const c = await h.open();
      await c.set("k", "cached");
      let calls = 0;
      const value = await c.getOrSet("k", () => {
        calls++;
        return "computed";
      });
      t.expect(value).toBe("cached");
      t.expect(calls).toBe(0);
    });

    t.it("awaits an async factory and stores the resolved value", async () => {
      const c = await h.open();
      t.expect(await c.getOrSet("k", async () => new Map([["a", 1]]))).toEqual(new Map([["a", 1]]));
      const stored = await c.get("k");
      t.expect(stored).toBeInstanceOf(Map);
      t.expect(stored).toEqual(new Map([["a", 1]]));
    });

    t.it("a cached null is a hit: the factory is not called again", async () => {
      const c = await h.open();
      let calls = 0;
      const factory = () => {
        calls++;
        return null;
      };
      t.expect(await c.getOrSet("k", factory)).toBeNull();
      t.expect(await c.getOrSet("k", factory)).toBeNull();
      t.expect(calls).toBe(1);
    });

    t.it("stores the factory's result with the ttl", async () => {
      const c = await h.open();
      await c.getOrSet("k", () => 1, { ttl: "10s" });
      expectMsBetween(t, await c.getExpire("k"), 8_000, 10_000);
      await c.getOrSet("forever", () => 1);
      t.expect(await c.getExpire("forever")).toBe(-1);
    });

    t.it("a throwing factory rejects with its error and stores nothing", async () => {
      const c = await h.open();
      const boom = new Error("factory failed");
      const error = await rejection(() =>
        c.getOrSet("k", async () => {
          throw boom;
        }),
      );
      t.expect(error).toBe(boom);
      t.expect(await c.exists("k")).toBe(false);
    });
  });

  t.describe("getMany / setMany", () => {
    t.it("getMany returns values in key order, the default for misses, repeated keys too", async () => {
      const c = await h.open();
      await c.set("a", 1);
      await c.set("b", "two");
      t.expect(await c.getMany(["b", "missing", "a", "b"], MISS)).toEqual(["two", MISS, 1, "two"]);
      t.expect(await c.getMany(["missing", "a"])).toEqual([undefined, 1]);
    });

    t.it("getMany keeps a stored null and undefined as hits", async () => {
      const c = await h.open();
      await c.set("n", null);
      await c.set("u", undefined);
      t.expect(await c.getMany(["n", "u", "x"], MISS)).toEqual([null, undefined, MISS]);
    });

    t.it("getMany of no keys is an empty array", async () => {
      const c = await h.open();
      t.expect(await c.getMany([])).toEqual([]);
    });

    t.it("setMany stores [key, value] entries", async () => {
      const c = await h.open();
      await c.setMany([
        ["a", 1],
        ["b", { nested: [true] }],
        ["c", null],
      ]);
      t.expect(await c.getMany(["a", "b", "c"], MISS)).toEqual([1, { nested: [true] }, null]);
      t.expect(await c.getExpire("a")).toBe(-1);
    });

    t.it("setMany stores a record", async () => {
      const c = await h.open();
      await c.setMany({ x: "ex", y: 2, "with:colon": [1] });
      t.expect(await c.getMany(["x", "y", "with:colon"], MISS)).toEqual(["ex", 2, [1]]);
    });

    t.it("setMany applies ttl to every entry", async () => {
      const c = await h.open();
      await c.setMany([["a", 1]], { ttl: "10s" });
      await c.setMany({ b: 2 }, { ttl: 10_000 });
      expectMsBetween(t, await c.getExpire("a"), 8_000, 10_000);
      expectMsBetween(t, await c.getExpire("b"), 8_000, 10_000);
    });
  });

  t.describe("delete / deleteMany", () => {
    t.it("delete returns whether the key existed and removes it", async () => {
      const c = await h.open();
      await c.set("k", 1);
      await c.set("other", 2);
      t.expect(await c.delete("k")).toBe(true);
      t.expect(await c.get("k", MISS)).toBe(MISS);
      t.expect(await c.delete("k")).toBe(false);
      t.expect(await c.get("other")).toBe(2);
    });

    t.it("deleteMany returns how many of the keys existed", async () => {
      const c = await h.open();
      await c.setMany({ a: 1, b: 2, c: 3 });
      t.expect(await c.deleteMany(["a", "missing", "c"])).toBe(2);
      t.expect(await c.getMany(["a", "b", "c"], MISS)).toEqual([MISS, 2, MISS]);
    });

    t.it("deleteMany of no keys returns 0", async () => {
      const c = await h.open();
      await c.set("a", 1);
      t.expect(await c.deleteMany([])).toBe(0);
      t.expect(await c.exists("a")).toBe(true);
    });
  });
}
