// A memory tier in front of Redis (`clientSide=true`) and another connection's writes of the same
// keys a few ms after this cache's own: the local copy ends on the other's value, a copy read
// while the other writes is evicted, and a copy's TTL follows the Redis key's, also after expire.
import { afterAll, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { skipWithoutRedis } from "../support/skip";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const EVICT_MS = 250;

/** Milliseconds until `cache.get(key)` gives `expected`; fails after `limitMs`. */
async function settles(cache: lib.Cache, key: string, expected: unknown, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const value = await cache.get(key, null);
    const elapsed = performance.now() - started;
    if (JSON.stringify(value) === JSON.stringify(expected)) return elapsed;
    if (elapsed > limitMs)
      throw new Error(
        `${key} still ${JSON.stringify(value)}, not ${JSON.stringify(expected)}, after ${limitMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe.skipIf(skipWithoutRedis)("redis client-side cache and another connection's writes (node)", () => {
  const prefixes: string[] = [];
  afterAll(async () => {
    await dropPrefixes(redisUrl, prefixes);
  });

  function pair(): { local: lib.Cache; other: lib.Cache; close: () => Promise<void> } {
    const { url, prefix } = freshRedisUrl(redisUrl, "tier-coherence");
    prefixes.push(prefix);
    const local = new lib.Cache().setup(`${url}&clientSide=true`);
    const other = new lib.Cache().setup(url);
    return { local, other, close: async () => void (await Promise.all([local.close(), other.close()])) };
  }

  it("this cache's write, then another's a few ms later: the local copy ends on the other's", async () => {
    const { local, other, close } = pair();
    try {
      await Promise.all([local.ping(), other.ping()]);
      for (let i = 0; i < 40; i++) {
        const key = `k${i}`;
        const mine = local.set(key, "mine");
        await new Promise((resolve) => setTimeout(resolve, i % 4));
        await Promise.all([mine, other.set(key, "theirs")]);
      }
      for (let i = 0; i < 40; i++) await settles(local, `k${i}`, "theirs", EVICT_MS);
    } finally {
      await close();
    }
  });

  it("reads through this cache racing another's writes end on the last write", async () => {
    const { local, other, close } = pair();
    try {
      await Promise.all([local.ping(), other.ping()]);
      for (let i = 0; i < 40; i++) {
        const key = `r${i}`;
        await other.set(key, "v1");
        await Promise.all([local.get(key), other.set(key, "v2"), local.get(key)]);
      }
      for (let i = 0; i < 40; i++) await settles(local, `r${i}`, "v2", EVICT_MS);
    } finally {
      await close();
    }
  });

  it("a copy ends with the Redis key: its TTL, another's expire, this cache's expire and incr", async () => {
    const { local, other, close } = pair();
    try {
      await other.set("t", "v", { ttl: 60_000 });
      expect(await local.get("t")).toBe("v");
      await other.expire("t", 50);
      await settles(local, "t", null, EVICT_MS);
      await other.set("u", "v", { ttl: 60_000 });
      expect(await local.get("u")).toBe("v");
      expect(await local.expire("u", 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await local.get("u", null)).toBeNull();
      await local.set("n", 1);
      expect(await local.get("n")).toBe(1);
      await other.incr("n", 5);
      await settles(local, "n", 6, EVICT_MS);
      expect(await local.incr("n", 1)).toBe(7);
      expect(await local.get("n")).toBe(7);
    } finally {
      await close();
    }
  });

  it("deleteTags, deleteMatch, deleteMany and clear by another connection evict the local copies", async () => {
    const { local, other, close } = pair();
    try {
      await local.set("a", 1, { tags: ["x"] });
      await local.setMany([
        ["b", 2],
        ["c", 3],
        ["d", 4],
      ]);
      expect(await local.getMany(["a", "b", "c", "d"])).toEqual([1, 2, 3, 4]);
      await other.deleteTags("x");
      await other.deleteMatch("b*");
      await other.deleteMany(["c"]);
      for (const key of ["a", "b", "c"]) await settles(local, key, null, EVICT_MS);
      expect(await local.get("d")).toBe(4);
      await other.clear();
      await settles(local, "d", null, EVICT_MS);
    } finally {
      await close();
    }
  });
});
