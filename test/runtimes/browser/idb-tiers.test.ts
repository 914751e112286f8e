// A memory tier in front of IndexedDB, in Chromium: reads served from memory, misses read through
// IndexedDB and back-filled with the TTL left, writes to both. This file never registers idb://,
// so it also checks the browser entry's error for an unregistered scheme.
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { idbBackend } from "../../../src/backends/idb";
import { deleteDatabase } from "./idb-target";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = crypto.randomUUID().slice(0, 8);
let next = 0;
let names: string[] = [];
const opened: lib.Cache[] = [];

/** A memory tier, an IndexedDB tier behind it, a cache over both and one over IndexedDB alone. */
function tiers() {
  const db = `isocache-t-${run}-${next++}`;
  names.push(db);
  const front = lib.memoryBackend({ size: 100 });
  const back = idbBackend({ db, store: "kv" });
  const cache = new lib.Cache().setup([front, back]);
  const backOnly = new lib.Cache().setup(back);
  opened.push(cache, backOnly);
  return { front, back, cache, backOnly };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  const used = names;
  names = [];
  await Promise.all(used.map(deleteDatabase));
});

describe("memory in front of IndexedDB", () => {
  it("idb:// without registerScheme names the import that serves it", () => {
    expect(() => new lib.Cache().setup("idb://app/cache")).toThrow(lib.CacheConfigError);
    expect(() => new lib.Cache().setup("idb://app/cache")).toThrow(/registerScheme\(idb\)/);
  });

  it("writes reach both tiers, and a hit in memory answers first", async () => {
    const { front, back, cache, backOnly } = tiers();
    expect(cache.backendFor("k").name).toBe("memory+idb");
    await cache.set("k", { n: 1 }, { ttl: "10s" });
    expect(await back.get("k")).toBe(await front.get("k"));
    await backOnly.set("k", "changed behind the tier");
    expect(await cache.get("k")).toEqual({ n: 1 });
  });

  it("a miss in memory reads through IndexedDB and back-fills memory with the TTL left", async () => {
    const { front, cache, backOnly } = tiers();
    await backOnly.set("shared", "from idb", { ttl: 90_000 });
    expect(await cache.get("shared")).toBe("from idb");
    const left = await front.getExpire("shared");
    expect(left).toBeGreaterThan(85_000);
    expect(left).toBeLessThanOrEqual(90_000);
  });

  it("TTLs end in both tiers; delete, deleteMatch and incr keep them in step", async () => {
    const { front, cache, backOnly } = tiers();
    await cache.set("brief", "v", { ttl: "150ms" });
    await backOnly.set("backBrief", "v", { ttl: 150 });
    expect(await cache.get("backBrief")).toBe("v");
    await sleep(450);
    expect([await cache.get("brief"), await cache.get("backBrief")]).toEqual([undefined, undefined]);
    expect(await front.get("backBrief")).toBeUndefined();
    await cache.setMany({ "a:1": 1, "a:2": 2, b: 3 });
    expect(await cache.delete("b")).toBe(true);
    expect(await backOnly.get("b")).toBeUndefined();
    expect(await cache.deleteMatch("a:*")).toBe(2);
    expect(await cache.incr("n", 2)).toBe(2);
    expect(await backOnly.incr("n", 3)).toBe(5);
    expect(await cache.get("n")).toBe(5);
    expect(await backOnly.getKeysCount()).toBe(1);
  });
});
