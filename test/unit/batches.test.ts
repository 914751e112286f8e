// The commands over many keys (batches.ts) where their input is not what they take: setMany
// given something that is neither `[key, value]` pairs nor a record.
import { describe, expect, it } from "vitest";
import { Cache, CacheArgumentError } from "../../runtimes/node";

describe("setMany with entries that are neither pairs nor a record", () => {
  const cases: [string, unknown][] = [
    ["a Map", new Map([["a", 1]])],
    ["a Set", new Set(["a"])],
    ["a string", "ab"],
    ["null", null],
    ["a number", 5],
    ["a list with a non-pair", [["a", 1], "bc"]],
    ["a list with undefined", [undefined]],
  ];
  for (const [label, entries] of cases) {
    it(`rejects ${label} with CacheArgumentError and stores nothing`, async () => {
      const cache = new Cache();
      const error = await cache.setMany(entries as [string, unknown][]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CacheArgumentError);
      expect((error as Error).message).toMatch(/setMany.*\[key, value\] pairs or a record/s);
      expect(await cache.getKeysCount()).toBe(0);
    });
  }

  it("says how to pass a Map", async () => {
    const error = await new Cache().setMany(new Map() as never).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain("[...map]");
  });

  it("still takes pairs, a record, and a record without prototype", async () => {
    const cache = new Cache();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.c = 3;
    await cache.setMany([["a", 1]]);
    await cache.setMany({ b: 2 });
    await cache.setMany(bare);
    await cache.setMany([]);
    await cache.setMany({});
    expect(await cache.getMany(["a", "b", "c"])).toEqual([1, 2, 3]);
  });
});
