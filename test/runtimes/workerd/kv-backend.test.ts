// What is particular to Workers KV, on miniflare's real KV: TTLs under the 60 s floor, key
// limits, binding lookup, bases, bulk reads and the per-isolate serialisation of read-then-write.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let next = 0;
const bases: string[] = [];
/** A base of its own for each test, emptied afterwards. */
function freshBase(): string {
  const base = `b${next++}:`;
  bases.push(base);
  return base;
}
afterEach(async () => {
  await Promise.all(
    bases.splice(0).map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()),
  );
});

describe("cloudflare-kv: capabilities", () => {
  it("says not atomic, eventually consistent, 512-byte keys less the base, any TTL", () => {
    const backend = cloudflareKvBackend({ namespace: env.CACHE, base: "ab:" });
    expect(backend.name).toBe("cloudflare-kv");
    expect(backend.capabilities).toEqual({
      nativeTtl: true,
      minTtlMs: 0,
      maxKeyBytes: 509,
      atomic: false,
      consistency: "eventual",
    });
  });
});

describe("cloudflare-kv: TTLs", () => {
  it("a 150 ms TTL ends after 150 ms although KV keeps the key for its 60 s floor", async () => {
    const base = freshBase();
    const cache = new lib.Cache().setup({ kv: env.CACHE, base });
    const before = Date.now();
    await cache.set("short", "v", { ttl: "150ms" });
    const [listed] = (await env.CACHE.list({ prefix: `${base}short` })).keys;
    // KV's own expiration (seconds) is at least 60 s out; the exact end lives in the metadata.
    expect(listed?.expiration).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 60);
    expect((listed?.metadata as { e?: number } | undefined)?.e).toBeLessThanOrEqual(Date.now() + 150);
    expect(await cache.get("short")).toBe("v");
    await sleep(450);
    expect(await cache.get("short")).toBeUndefined();
    expect(await cache.exists("short")).toBe(false);
    expect(await cache.getExpire("short")).toBe(-2);
    expect(await env.CACHE.get(`${base}short`)).not.toBeNull(); // still stored, read as expired
    expect(await cache.getKeysCount()).toBe(0);
  });

  it("TTLs above the floor keep millisecond precision for getExpire", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() });
    await cache.set("long", 1, { ttl: 90_500 });
    const left = await cache.getExpire("long");
    expect(left).toBeGreaterThan(90_000);
    expect(left).toBeLessThanOrEqual(90_500);
    expect(await cache.expire("long", "2m")).toBe(true);
    expect(await cache.getExpire("long")).toBeGreaterThan(119_000);
  });

  it("setRaw and locks with sub-floor TTLs end on time; expire(0) deletes at once", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() });
    await cache.setRaw("raw", "text", { ttl: 150 });
    expect(await cache.setLock("lock", "t1", "150ms")).toBe(true);
    await cache.set("gone", 1);
    expect(await cache.expire("gone", 0)).toBe(true);
    expect(await cache.exists("gone")).toBe(false);
    await sleep(450);
    expect(await cache.getRaw("raw")).toBeUndefined();
    expect(await cache.setLock("lock", "t2", "10s")).toBe(true);
  });

  it("a TTL beyond expirationTtl's 32-bit seconds (about 68 years) is stored, its end kept in metadata", async () => {
    const cache = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() }, { suppress: false });
    const century = 100 * 365 * 86_400_000;
    expect(await cache.set("century", "v", { ttl: century })).toBe(true);
    expect(await cache.get("century")).toBe("v");
    expect(await cache.getExpire("century")).toBeGreaterThan(century - 60_000);
    expect(await cache.expire("century", century)).toBe(true);
    expect(await cache.incr("counter", 1, { ttl: century })).toBe(1);
    expect(await cache.setLock("lock", "t1", century)).toBe(true);
    expect(await cache.setLock("lock", "t2", century)).toBe(false);
  });
});

describe("cloudflare-kv: keys", () => {
  it("a key over 512 bytes with its base is a CacheBackendError, or a reported no-op when suppressed", async () => {
    const base = freshBase();
    const strict = new lib.Cache().setup({ kv: env.CACHE, base }, { suppress: false });
    const fits = "k".repeat(512 - base.length);
    expect(await strict.set(fits, 1)).toBe(true);
    expect(await strict.get(fits)).toBe(1);
    const error = await strict.set(`${fits}x`, 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(/\[isocache\] \[cloudflare-kv\].*513 bytes.*512-byte limit/);
    const seen: unknown[] = [];
    const lenient = new lib.Cache().setup({ kv: env.CACHE, base }, { onError: (e) => seen.push(e) });
    expect(await lenient.set(`${fits}x`, 1)).toBe(false);
    expect(await lenient.get(`${fits}x`, "miss")).toBe("miss");
    expect(seen).toHaveLength(2);
  });

  it("a scan pattern whose fixed start is longer than any KV key matches nothing (KV list would refuse it)", async () => {
    const base = freshBase();
    const cache = new lib.Cache().setup({ kv: env.CACHE, base }, { suppress: false });
    await cache.set("k", 1);
    const long = "k".repeat(512);
    const scanned: string[] = [];
    for await (const key of cache.scan(`${long}*`)) scanned.push(key);
    expect(scanned).toEqual([]);
    for await (const pair of cache.getMatch(`${long}?`)) scanned.push(pair[0]);
    expect(scanned).toEqual([]);
    expect(await cache.deleteMatch(`${long}*`)).toBe(0);
    expect(await cache.get("k")).toBe(1);
  });

  it('"." and ".." are refused with a TypeError without a base, and are ordinary keys with one', async () => {
    const bare = new lib.Cache().setup({ kv: env.CACHE });
    for (const key of [".", ".."]) {
      await expect(bare.set(key, 1)).rejects.toThrow(TypeError);
      await expect(bare.set(key, 1)).rejects.toThrow(lib.CacheArgumentError);
      await expect(bare.set(key, 1)).rejects.toThrow(/refuses the key name/);
    }
    const based = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() });
    expect(await based.set(".", 1)).toBe(true);
    expect(await based.get(".")).toBe(1);
  });

  it("bases keep caches on one namespace apart; clear and count see only their own base", async () => {
    const a = new lib.Cache().setup(`kv://CACHE?base=${freshBase()}`);
    const b = new lib.Cache().setup({ kv: env.CACHE, base: freshBase() });
    await a.setMany({ x: "a", y: "a" });
    await b.set("x", "b");
    expect(await a.get("x")).toBe("a");
    expect(await b.get("x")).toBe("b");
    expect([await a.getKeysCount(), await b.getKeysCount()]).toEqual([2, 1]);
    await a.clear();
    expect([await a.getKeysCount(), await b.getKeysCount()]).toEqual([0, 1]);
  });

  it('a base is a namespace: "app" neither sees nor clears nor overwrites the keys of "app2"', async () => {
    const id = next++;
    const [app, app2] = [`app${id}`, `app${id}2`];
    bases.push(`${app}:`, `${app2}:`);
    const a = new lib.Cache().setup({ kv: env.CACHE, base: app });
    const b = new lib.Cache().setup(`kv://CACHE?base=${app2}`);
    await b.set("x", "b");
    await a.set("2x", "a");
    expect(await b.get("x")).toBe("b");
    const seen: string[] = [];
    for await (const key of a.scan("*")) seen.push(key);
    expect(seen).toEqual(["2x"]);
    expect([await a.getKeysCount(), await b.getKeysCount()]).toEqual([1, 1]);
    await a.clear();
    expect(await b.get("x")).toBe("b");
    // The separator is added once: a base that ends with ":" or "/" is used as it is.
    expect((await env.CACHE.list({ prefix: `${app2}:` })).keys.map((key) => key.name)).toEqual([`${app2}:x`]);
    const slash = new lib.Cache().setup({ kv: env.CACHE, base: `${app}/` });
    bases.push(`${app}/`);
    await slash.set("k", 1);
    expect(await env.CACHE.get(`${app}/k`)).not.toBeNull();
  });

  it("getMany reads more than one bulk page (100 keys), duplicates and misses in order", async () => {
    // The real binding, with its bulk reads counted.
    let bulkReads = 0;
    const namespace = new Proxy(env.CACHE, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== "getWithMetadata") return typeof value === "function" ? value.bind(target) : value;
        return (key: unknown, type: "text") => {
          if (Array.isArray(key)) bulkReads++;
          return target.getWithMetadata(key as string, type);
        };
      },
    });
    const cache = new lib.Cache().setup({ kv: namespace, base: freshBase() });
    const keys = Array.from({ length: 230 }, (_, i) => `k${i}`);
    await cache.setMany(keys.filter((_, i) => i % 3 !== 0).map((key): [string, string] => [key, key]));
    const asked = [...keys, "k1", "k0", "k1"];
    const expected = asked.map((key) => (Number(key.slice(1)) % 3 === 0 ? null : key));
    expect(await cache.getMany(asked, null)).toEqual(expected);
    expect(bulkReads).toBe(3);
    expect(await cache.deleteMany(["k1", "k1", "k0", "k2"])).toBe(2);
  });
});

describe("cloudflare-kv: setup", () => {
  it("kv://NAME finds the binding in env on the first command, not at setup", async () => {
    const cache = new lib.Cache().setup(`kv://CACHE?base=${freshBase()}`);
    await cache.set("k", "v");
    expect(await cache.get("k")).toBe("v");
    const missing = new lib.Cache().setup("kv://NO_SUCH_BINDING"); // setup itself does no lookup
    const error = await missing.get("k").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheConfigError);
    expect((error as Error).message).toMatch(
      /no KV namespace binding named "NO_SUCH_BINDING".*wrangler\.toml/,
    );
  });

  it("malformed kv:// URLs, unknown parameters and a non-KV { kv } throw CacheConfigError at setup", () => {
    for (const [target, mentions] of [
      ["kv://", /binding/],
      ["kv://CACHE/extra", /one binding/],
      ["kv://CACHE?size=3", /unknown URL parameter "size"/],
    ] as const) {
      const error = (() => {
        try {
          new lib.Cache().setup(target);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, target).toBeInstanceOf(lib.CacheConfigError);
      expect((error as Error).message, target).toMatch(mentions);
    }
    expect(() => new lib.Cache().setup({ kv: { get() {} } })).toThrow(/not a Workers KV namespace/);
    expect(() => new lib.Cache().setup({ kv: env.CACHE, base: 3 })).toThrow(lib.CacheConfigError);
  });
});

describe("cloudflare-kv: eventual consistency", () => {
  it("delete and deleteMany reach KV even where a key another location wrote still reads as absent", async () => {
    const base = freshBase();
    // The real namespace, whose reads here lag behind another location's writes (a fault
    // miniflare's single store cannot show): every read of these keys answers "not found".
    const lagging = {
      get: (key: string) => (key.startsWith(base) ? Promise.resolve(null) : env.CACHE.get(key, "text")),
      getWithMetadata: (key: string | string[]) => {
        if (Array.isArray(key)) throw new TypeError("no bulk reads in this sketch of a lagging location");
        return key.startsWith(base)
          ? Promise.resolve({ value: null, metadata: null })
          : env.CACHE.getWithMetadata(key, "text");
      },
      put: env.CACHE.put.bind(env.CACHE),
      delete: env.CACHE.delete.bind(env.CACHE),
      list: env.CACHE.list.bind(env.CACHE),
    };
    const cache = new lib.Cache().setup({ kv: lagging, base }, { suppress: false });
    for (const key of ["one", "two", "three"]) await env.CACHE.put(`${base}${key}`, "written elsewhere");
    await cache.delete("one");
    await cache.deleteMany(["two", "three"]);
    for (const key of ["one", "two", "three"]) {
      expect(await env.CACHE.get(`${base}${key}`), key).toBeNull();
    }
  });
});

describe("cloudflare-kv: read-then-write within one isolate", () => {
  it("caches sharing a namespace lose no increment and grant a lock once", async () => {
    const base = freshBase();
    const a = new lib.Cache().setup({ kv: env.CACHE, base });
    const b = new lib.Cache().setup(`kv://CACHE?base=${base}`);
    const counts = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).incr("n")));
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const taken = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).setLock("l", `t${i}`, "5s")),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
    const guarded = await Promise.all([
      a.set("once", "a", { exist: false }),
      b.set("once", "b", { exist: false }),
    ]);
    expect(guarded.filter(Boolean)).toHaveLength(1);
  });
});
