// The commands over many keys (batches.ts): setMany given something that is neither
// `[key, value]` pairs nor a record, and scans over a custom backend that expires nothing itself.
import { describe, expect, it } from "vitest";
import { type Backend, Cache, CacheArgumentError, CacheValueError } from "../../runtimes/node";
import { globToRegExp } from "../../src/backends/_shared/glob";

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

/**
 * A custom backend as a user might write one over a plain Map: `nativeTtl: false`, so the core
 * keeps every TTL in the record's header and the backend holds expired records until rewritten.
 */
function mapBackend(): Backend & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    name: "map",
    capabilities: { nativeTtl: false, minTtlMs: 0, maxKeyBytes: 0, atomic: false, consistency: "strong" },
    map,
    get: async (key) => map.get(key),
    set: async (key, value, options) => {
      if (options?.exist !== undefined && map.has(key) !== options.exist) return false;
      map.set(key, value);
      return true;
    },
    delete: async (key) => map.delete(key),
    exists: async (key) => map.has(key),
    async *scan(pattern) {
      const glob = globToRegExp(pattern);
      for (const key of [...map.keys()]) if (glob.test(key)) yield key;
    },
    incr: async (key, by) => {
      const text = map.get(key) ?? "0";
      if (!/^-?\d+$/.test(text)) throw new CacheValueError(`${key} holds no integer`);
      const next = Number(text) + by;
      map.set(key, String(next));
      return next;
    },
    expire: async (key) => map.has(key),
    getExpire: async (key) => (map.has(key) ? -1 : -2),
    clear: async () => map.clear(),
    count: async () => map.size,
    ping: async (message) => message ?? "PONG",
  };
}

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
