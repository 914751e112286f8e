// Counters on both Redis transports at the edge of the safe integer range: a sum past
// Number.MAX_SAFE_INTEGER (or below MIN_SAFE_INTEGER) is refused with CacheValueError and leaves
// the stored value and its TTL as they were, as the memory backend's add does; a count already
// outside the range may still come back into it exactly. Real redis-server, and the Upstash
// client through the gateway.
import { createClient } from "redis";
import { afterAll, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { redisBackend } from "../../src/backends/redis";
import { upstashBackend } from "../../src/backends/upstash";
import type { Backend } from "../../src/core/types";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, upstashUrl } from "../support/upstash-target";
import { dropPrefixes, freshPrefix, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const MAX = Number.MAX_SAFE_INTEGER;
const MIN = Number.MIN_SAFE_INTEGER;
const prefixes: string[] = [];
const opened: { close(): Promise<unknown> }[] = [];

const backends: [string, (prefix: string) => Backend][] = [
  ["redis", (keyPrefix) => redisBackend({ url: redisUrl, keyPrefix })],
  ["upstash", (namespace) => upstashBackend({ ...address, namespace })],
];

async function open(make: (prefix: string) => Backend): Promise<Backend> {
  const prefix = freshPrefix("counters");
  prefixes.push(prefix);
  const backend = make(prefix);
  opened.push({ close: async () => backend.close?.() });
  await backend.init?.();
  return backend;
}

async function refusal(done: Promise<unknown>): Promise<unknown> {
  return done.then(
    (value) => ({ resolved: value }),
    (error: unknown) => error,
  );
}

describe.skipIf(skipWithoutRedis)("counters at the safe integer edge", () => {
  afterAll(async () => {
    await Promise.all(opened.map((one) => one.close()));
    await dropPrefixes(redisUrl, prefixes);
  });

  for (const [name, make] of backends) {
    for (const ttl of [undefined, 60_000]) {
      const how = ttl === undefined ? "without a TTL" : "with a TTL";
      it(`${name} ${how}: a sum past MAX_SAFE_INTEGER is a CacheValueError and the value stays`, async () => {
        const backend = await open(make);
        await backend.set("n", String(MAX - 1), { ttl: 30_000 });
        expect(await backend.incr("n", 1, ttl)).toBe(MAX);
        const error = await refusal(backend.incr("n", 1, ttl));
        expect(error).toBeInstanceOf(lib.CacheValueError);
        expect((error as Error).message).toMatch(/^\[isocache\] \[(redis|upstash)\] .*safe integer range/);
        expect((error as Error).message).toMatch(/left unchanged/);
        expect(await backend.get("n")).toBe(String(MAX));
        const left = await backend.getExpire("n");
        expect(left).toBeGreaterThan(20_000);
        expect(left).toBeLessThanOrEqual(30_000);
      });

      it(`${name} ${how}: below MIN_SAFE_INTEGER too; an amount that is not a safe integer is refused as on memory`, async () => {
        const backend = await open(make);
        await backend.set("low", String(MIN + 5));
        expect(await backend.incr("low", -5, ttl)).toBe(MIN);
        expect(await refusal(backend.incr("low", -1, ttl))).toBeInstanceOf(lib.CacheValueError);
        expect(await backend.get("low")).toBe(String(MIN));
        expect(await backend.getExpire("low")).toBe(-1);
        for (const by of [2 ** 60, 1.5])
          expect(await refusal(backend.incr("fresh", by, ttl))).toBeInstanceOf(lib.CacheArgumentError);
        expect(await backend.exists("fresh")).toBe(false);
      });
    }

    it(`${name}: past Redis's own 64-bit range is the same CacheValueError`, async () => {
      const backend = await open(make);
      await backend.set("top", "9223372036854775807");
      const error = await refusal(backend.incr("top", 1));
      expect(error).toBeInstanceOf(lib.CacheValueError);
      expect((error as Error).message).toMatch(/safe integer range/);
      expect(await backend.get("top")).toBe("9223372036854775807");
    });

    it(`${name}: a refused sum writes nothing (a WATCH on the key still holds)`, async () => {
      const backend = await open(make);
      const key = `${prefixes.at(-1) ?? ""}w`;
      await backend.set("w", String(MAX), { ttl: 30_000 });
      const watcher = createClient({ url: redisUrl });
      watcher.on("error", () => undefined);
      await watcher.connect();
      try {
        await watcher.watch(key);
        expect(await refusal(backend.incr("w", 1))).toBeInstanceOf(lib.CacheValueError);
        expect(await refusal(backend.incr("w", 1, 60_000))).toBeInstanceOf(lib.CacheValueError);
        // EXEC is refused (WatchError) when anything wrote the key after the WATCH, an undo too.
        expect(await watcher.multi().get(key).exec()).toEqual([String(MAX)]);
      } finally {
        watcher.destroy();
      }
    });

    it(`${name}: a count outside the safe range that comes back into it is exact`, async () => {
      const backend = await open(make);
      await backend.set("far", "9007199254740993"); // 2^53 + 1: a double cannot hold it
      expect(await backend.incr("far", -10)).toBe(9007199254740983);
      expect(await backend.get("far")).toBe("9007199254740983");
    });

    it(`${name}: a value that is not an integer is still a CacheValueError saying so`, async () => {
      const backend = await open(make);
      await backend.set("text", "abc");
      const error = await refusal(backend.incr("text", 1));
      expect(error).toBeInstanceOf(lib.CacheValueError);
      expect((error as Error).message).toMatch(/not an integer/);
      expect(await backend.get("text")).toBe("abc");
    });
  }

  const caches: [string, () => string][] = [
    ["redis", () => freshRedisUrl(redisUrl, "counters-cache").url],
    ["upstash", () => upstashUrl(address, freshNamespace("counters-cache"))],
  ];
  for (const [name, target] of caches) {
    it(`${name}: cache.incr refuses to pass MAX_SAFE_INTEGER, as on memory, and keeps the count`, async () => {
      const url = target();
      const found = /keyPrefix=([^&]+)/.exec(url)?.[1] ?? /namespace=([^&]+)/.exec(url)?.[1];
      if (found !== undefined) prefixes.push(decodeURIComponent(found));
      for (const setup of [url, "mem://"]) {
        const cache = new lib.Cache().setup(setup, { suppress: false });
        opened.push(cache);
        expect(await cache.incr("hits", MAX - 1)).toBe(MAX - 1);
        expect(await cache.incr("hits", 1, { ttl: "1m" })).toBe(MAX);
        await expect(cache.incr("hits", 1)).rejects.toBeInstanceOf(lib.CacheValueError);
        await expect(cache.incr("hits", 2, { ttl: "1m" })).rejects.toBeInstanceOf(lib.CacheValueError);
        expect(await cache.get("hits")).toBe(MAX);
      }
    });
  }
});
