// Workers KV's limits and failures, on miniflare's real KV: UTF-8 key bytes, the 25 MiB value
// limit (single and bulk reads), glob specials in scans, binary values, and what KV's own errors
// (rate limits, refused values) become.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";

let next = 0;
const bases: string[] = [];
function freshBase(): string {
  const base = `lim${next++}:`;
  bases.push(base);
  return base;
}
afterEach(async () => {
  await Promise.all(
    bases.splice(0).map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()),
  );
});

const MIB = 1024 * 1024;

describe("cloudflare-kv: limits", () => {
  it("keys count UTF-8 bytes: 255 'é' (510 bytes) fit beside a 2-byte base, 256 do not", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: "é" }, { suppress: false });
    bases.push("é:");
    const fits = "é".repeat(254) + "x"; // "é:" is 3 bytes, 254 × 2 + 1 = 509: 512 in all
    expect(await cache.set(fits, 1)).toBe(true);
    expect(await cache.get(fits)).toBe(1);
    const error = await cache.set(`${fits}x`, 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(/513 bytes/);
  });

  it("a value past KV's 25 MiB is a CacheBackendError naming the limit, or a reported no-op when suppressed", async () => {
    const base = freshBase();
    const strict = new lib.Cache().setup({ kv: env.CACHE, base }, { suppress: false });
    await strict.set("big", "old");
    // Multi-byte text: 9 Mi characters of "€" are 18 MiB as UTF-16 but 27 MiB as stored UTF-8.
    const big = "€".repeat(9 * MIB);
    const error = await strict.set("big", big).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(
      /\[cloudflare-kv\] the value of "big" is \d+ bytes as stored, above Workers KV's 25 MiB limit: .*compress/,
    );
    expect(await strict.get("big")).toBe("old");
    const seen: unknown[] = [];
    const lenient = new lib.Cache().setup({ kv: env.CACHE, base }, { onError: (e) => seen.push(e) });
    expect(await lenient.set("big", big)).toBe(false);
    expect(seen).toHaveLength(1);
    // Just under the limit as stored is written.
    expect(await strict.set("fits", "x".repeat(25 * MIB - 16))).toBe(true);
    expect(((await strict.get("fits")) as string).length).toBe(25 * MIB - 16);
  });

  it("getMany reads values whose sum passes the 25 MiB a bulk read may answer", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() }, { suppress: false });
    const a = "a".repeat(14 * MIB);
    const b = "b".repeat(14 * MIB);
    await cache.setMany({ a, b });
    const [ra, rb] = await cache.getMany(["a", "b"]);
    expect(ra === a).toBe(true);
    expect(rb === b).toBe(true);
  });

  it("binary values round-trip", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() }, { suppress: false });
    const bytes = new Uint8Array(256).map((_, i) => i);
    await cache.set("bin", bytes);
    expect(await cache.get("bin")).toEqual(bytes);
  });

  it("glob specials in keys: escaped patterns list the literal prefix", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() }, { suppress: false });
    await cache.setMany({ "a*b": 1, "a*c": 2, axb: 3, "a?": 4, "a[1]": 5 });
    const scan = async (p: string) => {
      const out: string[] = [];
      for await (const key of cache.scan(p)) out.push(key);
      return out.sort();
    };
    expect(await scan("a\\**")).toEqual(["a*b", "a*c"]);
    expect(await scan("a\\*b")).toEqual(["a*b"]);
    expect(await scan("a\\?")).toEqual(["a?"]);
    expect(await scan("a\\[1]")).toEqual(["a[1]"]);
    expect(await cache.deleteMatch("a\\**")).toBe(2);
    expect(await scan("*")).toEqual(["a?", "a[1]", "axb"]);
  });
});

describe("cloudflare-kv: KV's own errors", () => {
  it("a 429 from too many writes to one key is a CacheBackendError saying so", async () => {
    const base = freshBase();
    // The real binding, whose puts answer as KV does to a second write of a key within a second.
    const limited = new Proxy(env.CACHE, {
      get(target, property) {
        if (property === "put")
          return () => Promise.reject(new Error("KV PUT failed: 429 Too Many Requests"));
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const cache = new lib.Cache().setup({ kv: limited, base }, { suppress: false });
    const error = await cache.set("hot", 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(
      /\[cloudflare-kv\] write failed \(KV PUT failed: 429 Too Many Requests\): .*one write a second to one key/,
    );
    expect((error as lib.CacheBackendError).cause).toBeInstanceOf(Error);
    expect(await cache.delete("hot")).toBe(false); // deletes go through, reads too
  });

  it("a Worker invocation's operation limit says how to do fewer", async () => {
    const limited = new Proxy(env.CACHE, {
      get(target, property) {
        if (property === "delete" || property === "list")
          return () => Promise.reject(new Error("Too many API requests by single Worker invocation."));
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const cache = new lib.Cache().setup({ kv: limited, base: freshBase() }, { suppress: false });
    await expect(cache.delete("k")).rejects.toThrow(/delete failed .*limited number of KV operations/);
    await expect(cache.clear()).rejects.toThrow(/list failed .*limited number of KV operations/);
  });
});
