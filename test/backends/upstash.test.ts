// The Upstash backend on Node beyond the conformance suites: URL and environment handling, text
// that must survive the client's base64/UTF-8 decoding, namespaces, and the HTTP requests each
// cache operation costs, counted by the gateway (one session per test, so parallel files do not
// disturb the counts).
import { describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { upstash, upstashBackend } from "../../src/backends/upstash";
import { closedAfterEach } from "../support/closing";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, openSession, type RemoteSession, upstashUrl } from "../support/upstash-target";

const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const opened = closedAfterEach<lib.Cache>();

function open(target: unknown): lib.Cache {
  const cache = new lib.Cache().setup(target as string);
  opened.push(cache);
  return cache;
}

/** A cache on a fresh namespace whose requests the returned session counts. */
async function counted(tiers = false): Promise<{ cache: lib.Cache; session: RemoteSession; url: string }> {
  const session = await openSession(address);
  const url = upstashUrl({ url: address.url, token: session.token }, freshNamespace("economy"));
  const cache = new lib.Cache().setup(tiers ? ["mem://", url] : url);
  opened.push(cache);
  return { cache, session, url };
}

const requests = async (session: RemoteSession) => (await session.stats()).requests;

describe("upstash setup", () => {
  it("reads url and token from the URL, or from UPSTASH_REDIS_REST_URL / _TOKEN when absent", () => {
    const saved = { url: process.env.UPSTASH_REDIS_REST_URL, token: process.env.UPSTASH_REDIS_REST_TOKEN };
    try {
      delete process.env.UPSTASH_REDIS_REST_URL;
      delete process.env.UPSTASH_REDIS_REST_TOKEN;
      expect(() => new lib.Cache().setup("upstash://")).toThrow(/UPSTASH_REDIS_REST_URL/);
      expect(() => new lib.Cache().setup("upstash://?url=https://x.upstash.io")).toThrow(
        /UPSTASH_REDIS_REST_TOKEN/,
      );
      expect(() => upstashBackend()).toThrow(lib.CacheConfigError);
      // Setup opens nothing, so any well-formed address will do here, gateway or not.
      process.env.UPSTASH_REDIS_REST_URL = "https://env-only.upstash.io";
      process.env.UPSTASH_REDIS_REST_TOKEN = "env-token";
      expect(() => new lib.Cache().setup("upstash://")).not.toThrow();
      expect(upstashBackend().name).toBe("upstash");
    } finally {
      for (const [name, value] of [
        ["UPSTASH_REDIS_REST_URL", saved.url],
        ["UPSTASH_REDIS_REST_TOKEN", saved.token],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("rejects bad URLs with CacheConfigError at setup, never echoing the token", () => {
    const secret = "s3cr3t-token-value";
    for (const url of [
      `upstash://?url=ftp://x&token=${secret}`,
      `upstash://?url=https://x.upstash.io&token=${secret}&tokn=1`,
      `upstash://?url=https://x.upstash.io&token=${secret}&retries=many`,
      // Longer than a timer can wait: it would fire at once and abort every request.
      `upstash://?url=https://x.upstash.io&token=${secret}&requestTimeout=2147483648`,
      "upstash://?url=https://x.upstash.io&token=a%20b",
    ]) {
      let caught: unknown;
      try {
        new lib.Cache().setup(url);
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toBeInstanceOf(lib.CacheConfigError);
      expect((caught as Error).message).toMatch(/^\[isocache\] \[upstash\] /);
      expect((caught as Error).message).not.toContain(secret);
    }
  });

  it("describes itself honestly and takes upstash://host as https://host", () => {
    const options = upstash.fromUrl(
      new URL("upstash://db.upstash.io?token=t&namespace=ab"),
      new URLSearchParams("token=t&namespace=ab"),
    );
    expect(options.url).toBe("https://db.upstash.io");
    expect(upstash.capabilities(options)).toEqual({
      nativeTtl: true,
      minTtlMs: 0,
      maxKeyBytes: 32 * 1024 - 2,
      atomic: true,
      consistency: "strong",
      ordered: false,
    });
  });

  it.skipIf(skipWithoutRedis)(
    "opens nothing at setup: the first request goes out with the first command",
    async () => {
      const { cache, session } = await counted();
      expect(await requests(session)).toBe(0);
      expect(await cache.ping()).toBe("PONG");
      expect(await requests(session)).toBe(1);
    },
  );
});

describe.skipIf(skipWithoutRedis)("upstash values and namespaces", () => {
  it("round-trips any well-formed text, through set/get and setRaw/getRaw", async () => {
    const cache = open(upstashUrl(address, freshNamespace("text")));
    const texts = [
      "",
      "OK",
      "T0s=",
      "null",
      "42",
      "ünïcødé",
      "日本語",
      "🙂👩‍👩‍👧",
      "a\u0000b",
      "\r\n\t\"'\\",
      "x".repeat(200_000),
    ];
    for (const [at, text] of texts.entries()) {
      await cache.set(`t${at}`, text);
      await cache.setRaw(`r${at}`, text);
    }
    for (const [at, text] of texts.entries()) {
      expect(await cache.get(`t${at}`), `value ${at}`).toBe(text);
      expect(await cache.getRaw(`r${at}`), `raw ${at}`).toBe(text === "" ? "" : text);
    }
    await cache.set("🔑:ключ", { nested: ["✓", 1.5, -0.25] });
    expect(await cache.get("🔑:ключ")).toEqual({ nested: ["✓", 1.5, -0.25] });
  });

  it("keeps namespaces apart, even one made of glob characters", async () => {
    const odd = open(upstashUrl(address, `${freshNamespace("odd")}*?[ab]\\:`));
    const plain = open(upstashUrl(address, freshNamespace("plain")));
    await odd.setMany({ a: 1, b: 2 });
    await plain.setMany({ a: 3, c: 4 });
    const keys = async (cache: lib.Cache) => {
      const out: string[] = [];
      for await (const key of cache.scan("*")) out.push(key);
      return out.sort();
    };
    expect(await keys(odd)).toEqual(["a", "b"]);
    expect(await keys(plain)).toEqual(["a", "c"]);
    expect(await odd.getKeysCount()).toBe(2);
    await odd.clear();
    expect(await plain.get("a")).toBe(3);
    expect(await odd.getKeysCount()).toBe(0);
  });
});

describe.skipIf(skipWithoutRedis)("upstash HTTP economy", () => {
  it("a hit costs 1 request; a getOrSet miss that stores at most 2", async () => {
    const { cache, session } = await counted();
    expect(await cache.getOrSet("k", () => "v", { ttl: "1m" })).toBe("v");
    const miss = await requests(session);
    expect(miss).toBeLessThanOrEqual(2);
    expect(await cache.getOrSet("k", () => "other")).toBe("v");
    expect(await cache.get("k")).toBe("v");
    expect((await requests(session)) - miss).toBe(2);
  });

  it("a cached() miss costs at most 2 requests, a hit 1", async () => {
    const { cache, session } = await counted();
    const getUser = cache.cached({ ttl: "1m", key: "user:{id}" })(async function getUser(id: string) {
      return { id };
    });
    expect(await getUser("1")).toEqual({ id: "1" });
    const miss = await requests(session);
    expect(miss).toBeLessThanOrEqual(2);
    expect(await getUser("1")).toEqual({ id: "1" });
    expect((await requests(session)) - miss).toBe(1);
  });

  it("tiers: a memory hit costs nothing, a back-fill from Upstash 1 request, a miss at most 2", async () => {
    const first = await counted(true);
    expect(await first.cache.getOrSet("k", () => "v", { ttl: "1m" })).toBe("v");
    expect(await requests(first.session)).toBeLessThanOrEqual(2);
    const fresh = new lib.Cache().setup(["mem://", first.url]); // empty memory, same Upstash namespace
    opened.push(fresh);
    await first.session.reset();
    expect(await fresh.get("k")).toBe("v");
    expect(await requests(first.session)).toBe(1);
    expect(await fresh.get("k")).toBe("v");
    expect(await fresh.getExpire("k")).toBeGreaterThan(55_000);
    expect((await first.session.stats()).commands).toEqual(["get", "pttl", "pttl"]);
  });

  it("100 concurrent writes with one tag share their requests", async () => {
    const { cache, session } = await counted();
    await Promise.all(Array.from({ length: 100 }, (_, i) => cache.set(`t:${i}`, i, { tags: ["bulk"] })));
    // Each is one script (value and index together); the client's auto-pipelining folds them.
    expect(await requests(session)).toBeLessThanOrEqual(10);
    expect(await cache.deleteTags("bulk")).toBe(100);
  });

  it("atomic commands cost 1 request each", async () => {
    const { cache, session } = await counted();
    const steps: [string, () => Promise<unknown>, unknown][] = [
      ["set exist:false", () => cache.set("a", 1, { exist: false }), true],
      ["set exist:false again", () => cache.set("a", 2, { exist: false }), false],
      ["set exist:true", () => cache.set("a", 3, { exist: true, ttl: "1m" }), true],
      ["incr with ttl", () => cache.incr("n", 5, { ttl: "1m" }), 5],
      ["incr", () => cache.incr("n", -2), 3],
      ["setLock", () => cache.setLock("l", "t1", "1m"), true],
      ["setLock held", () => cache.setLock("l", "t2", "1m"), false],
      ["unlock wrong token", () => cache.unlock("l", "t2"), false],
      ["unlock", () => cache.unlock("l", "t1"), true],
      ["getMany", () => cache.getMany(["a", "n", "missing"]), [3, 3, undefined]],
      ["setMany", () => cache.setMany({ x: 1, y: 2 }, { ttl: "1m" }), undefined],
      ["deleteMany", () => cache.deleteMany(["x", "y", "z"]), 2],
    ];
    for (const [what, step, expected] of steps) {
      const before = await requests(session);
      expect(await step(), what).toEqual(expected);
      expect((await requests(session)) - before, what).toBe(1);
    }
    expect(await cache.getExpire("n")).toBeGreaterThan(55_000);
  });
});
