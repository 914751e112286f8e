// The commands over many keys (batches.ts): setMany given something that is neither
// `[key, value]` pairs nor a record, scans over a custom backend that expires nothing itself, and
// getMany while disabled.
import { describe, expect, it } from "vitest";
import { Cache, CacheArgumentError } from "../../runtimes/node";
import { mapBackend } from "../support/map-backend";

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

describe("scan, getMatch and deleteMatch over a backend without native TTL", () => {
  async function seeded(tiered: boolean) {
    const clock = { t: 1_000_000, now: () => clock.t };
    const backend = mapBackend();
    const cache = new Cache({ clock }).setup(tiered ? ["mem://", backend] : backend);
    await cache.set("s:live", 1);
    await cache.set("s:later", 2, { ttl: 1000 });
    await cache.set("s:gone", 3, { ttl: 10 });
    await cache.set("s:gone2", 4, { ttl: 10 });
    clock.t += 20;
    return { cache, backend };
  }

  async function keysOf(cache: Cache, pattern: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of cache.scan(pattern)) keys.push(key);
    return keys.sort();
  }

  for (const tiered of [false, true]) {
    const where = tiered ? "under a memory tier" : "alone";
    it(`scan leaves out keys whose TTL ended, as exists does (${where})`, async () => {
      const { cache } = await seeded(tiered);
      expect(await cache.exists("s:gone")).toBe(false);
      expect(await keysOf(cache, "s:*")).toEqual(["s:later", "s:live"]);
      expect(await keysOf(cache, "s:gone")).toEqual([]);
      const pairs: [string, unknown][] = [];
      for await (const pair of cache.getMatch("s:*")) pairs.push(pair);
      expect(pairs.sort()).toEqual([
        ["s:later", 2],
        ["s:live", 1],
      ]);
    });

    it(`deleteMatch counts only live keys and drops the expired records too (${where})`, async () => {
      const { cache, backend } = await seeded(tiered);
      expect(await cache.deleteMatch("s:*")).toBe(2);
      expect([...backend.map.keys()]).toEqual([]);
      expect(await cache.deleteMatch("s:*")).toBe(0);
    });
  }
});

describe("getMany while disabled", () => {
  it("answers each call its own array of defaults, which the caller may change, and asks no backend", async () => {
    const backend = mapBackend();
    const cache = new Cache().setup(backend);
    await cache.set("a", 1);
    let reads = 0;
    const get = backend.get;
    backend.get = (key) => {
      reads++;
      return get(key);
    };
    cache.disable("getMany");
    const fallback = { shared: true };
    const first = await cache.getMany(["a", "b"], fallback);
    expect(first).toEqual([fallback, fallback]);
    first[0] = { shared: false };
    first.push(fallback);
    const second = await cache.getMany(["a", "b"], fallback);
    expect(second).not.toBe(first);
    expect(second).toEqual([fallback, fallback]);
    expect(await cache.getMany([])).toEqual([]);
    expect(reads).toBe(0);
    cache.enable("getMany");
    expect(await cache.getMany(["a", "b"], 0)).toEqual([1, 0]);
    expect(reads).toBeGreaterThan(0);
  });
});
