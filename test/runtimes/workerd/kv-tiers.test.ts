// A memory tier in front of Workers KV (miniflare's real KV), on the workerd entry: reads served
// from memory, misses read through KV and back-filled with the TTL left, writes to both.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let next = 0;
const bases: string[] = [];

/** A memory tier, the KV tier behind it on a base of its own, and a cache over both. */
function tiers() {
  const base = `t${next++}:`;
  bases.push(base);
  const front = lib.memoryBackend({ size: 100 });
  const kv = cloudflareKvBackend({ namespace: env.CACHE, base });
  const cache = new lib.Cache().setup([front, kv]);
  return { base, front, kv, cache, kvOnly: new lib.Cache().setup(kv) };
}

afterEach(async () => {
  await Promise.all(
    bases.splice(0).map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()),
  );
});

describe("memory in front of Workers KV", () => {
  it("writes reach both tiers, and a hit in memory makes no KV read", async () => {
    const { base, front, kv, cache } = tiers();
    expect(cache.backendFor("k").name).toBe("memory+cloudflare-kv");
    await cache.set("k", { n: 1 }, { ttl: "10s" });
    expect(await front.get("k")).toBeDefined();
    expect(await kv.get("k")).toBe(await front.get("k"));
    // Change KV behind the tier's back: the memory copy still answers.
    await env.CACHE.put(`${base}k`, "changed");
    expect(await cache.get("k")).toEqual({ n: 1 });
  });

  it("a miss in memory reads through KV and back-fills memory with the TTL left", async () => {
    const { front, cache, kvOnly } = tiers();
    await kvOnly.set("shared", "from kv", { ttl: 90_000 });
    expect(await front.get("shared")).toBeUndefined();
    expect(await cache.get("shared")).toBe("from kv");
    expect(await front.get("shared")).toBeDefined();
    const left = await front.getExpire("shared");
    expect(left).toBeGreaterThan(85_000);
    expect(left).toBeLessThanOrEqual(90_000);
  });

  it("a sub-floor TTL ends in both tiers on time", async () => {
    const { front, cache, kvOnly } = tiers();
    await cache.set("brief", "v", { ttl: "150ms" });
    await kvOnly.set("kvBrief", "v", { ttl: 150 });
    expect(await cache.get("kvBrief")).toBe("v"); // back-filled with about 150 ms
    await sleep(450);
    expect(await cache.get("brief")).toBeUndefined();
    expect(await cache.get("kvBrief")).toBeUndefined();
    expect(await front.get("kvBrief")).toBeUndefined();
    expect(await kvOnly.exists("brief")).toBe(false);
  });

  it("delete and deleteMatch clear both tiers; incr counts in KV and drops the memory copy", async () => {
    const { front, cache, kvOnly } = tiers();
    await cache.setMany({ "a:1": 1, "a:2": 2, b: 3 });
    expect(await cache.delete("b")).toBe(true);
    expect([await front.get("b"), await kvOnly.get("b")]).toEqual([undefined, undefined]);
    expect(await cache.deleteMatch("a:*")).toBe(2);
    expect(await kvOnly.getKeysCount()).toBe(0);
    expect(await cache.incr("n", 2)).toBe(2);
    expect(await kvOnly.incr("n", 3)).toBe(5);
    expect(await cache.get("n")).toBe(5);
  });
});
