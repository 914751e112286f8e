// Tag indexes on both Redis transports stay near the size of the live key set they list: each
// addition to an index drops, in the same script, members whose keys no longer exist (deleted,
// expired, evicted), so a long-lived tag on a hot, churning key set does not grow without bound,
// while every live tagged key stays reachable by deleteTags. Sizes are read with SCARD on the
// real server; Upstash goes through the gateway, where a tagged set stays one request.
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { tagIndexKey } from "../../src/features/tags";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, openSession, upstashUrl } from "../support/upstash-target";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const prefixes: string[] = [];
const LIVE = 10;
const CHURN = 400;

/** A cache on a fresh prefix (namespace) of the one server, and that prefix. */
const targets: [string, () => Promise<{ url: string; prefix: string }>][] = [
  ["redis", async () => freshRedisUrl(redisUrl, "tag-index")],
  [
    "upstash",
    async () => {
      const prefix = freshNamespace("tag-index");
      return { url: upstashUrl(address, prefix), prefix };
    },
  ],
];

describe.skipIf(skipWithoutRedis)("tag indexes on Redis drop members whose keys are gone", () => {
  let admin: ReturnType<typeof createClient>;
  const size = async (prefix: string, tag: string) =>
    Number(await admin.sendCommand(["SCARD", prefix + tagIndexKey(tag)]));

  beforeAll(async () => {
    admin = createClient({ url: redisUrl });
    admin.on("error", () => undefined);
    await admin.connect();
  });
  afterAll(async () => {
    await dropPrefixes(redisUrl, prefixes);
    await admin?.close();
  });

  for (const [name, target] of targets) {
    it(`${name}: ${CHURN} keys tagged and deleted in turn, ${LIVE} alive at a time: the index stays small`, async () => {
      const { url, prefix } = await target();
      prefixes.push(prefix);
      const cache = new lib.Cache().setup(url, { suppress: false });
      try {
        for (let i = 0; i < CHURN; i++) {
          await cache.set(`k:${i}`, i, { ttl: "1h", tags: ["hot"] });
          if (i >= LIVE) await cache.delete(`k:${i - LIVE}`);
        }
        // Pruning samples members, so the index may hold a few dead ones, never hundreds.
        expect(await size(prefix, "hot")).toBeLessThanOrEqual(4 * LIVE);
        expect(await size(prefix, "hot")).toBeGreaterThanOrEqual(LIVE);
        // Every live key is still listed: the invalidation reaches all of them.
        expect(await cache.deleteTags("hot")).toBe(LIVE);
        expect(await cache.getMany([`k:${CHURN - 1}`, `k:${CHURN - LIVE}`])).toEqual([undefined, undefined]);
      } finally {
        await cache.close();
      }
    }, 60_000);

    it(`${name}: members whose keys expired leave as new tagged keys come; the live ones stay`, async () => {
      const { url, prefix } = await target();
      prefixes.push(prefix);
      const cache = new lib.Cache().setup(url, { suppress: false });
      try {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => cache.set(`short:${i}`, i, { ttl: 30, tags: ["t"] })),
        );
        await cache.set("long", 1, { ttl: "1h", tags: ["t"] });
        await new Promise((resolve) => setTimeout(resolve, 80));
        const before = await size(prefix, "t");
        expect(before).toBe(51);
        for (let i = 0; i < 30; i++) await cache.set(`fresh:${i}`, i, { ttl: "1h", tags: ["t"] });
        // Each addition checks a dozen members: the expired 50 are mostly gone after 30 writes.
        expect(await size(prefix, "t")).toBeLessThanOrEqual(31 + 10);
        expect(await cache.deleteTags("t")).toBe(31);
      } finally {
        await cache.close();
      }
    }, 30_000);
  }

  it("upstash: a tagged set that prunes is still one request", async () => {
    const session = await openSession(address);
    const prefix = freshNamespace("tag-index-economy");
    prefixes.push(prefix);
    const cache = new lib.Cache().setup(upstashUrl({ url: address.url, token: session.token }, prefix));
    try {
      for (let i = 0; i < 20; i++) {
        await cache.set(`k:${i}`, i, { ttl: "1h", tags: ["a", "b"] });
        await cache.delete(`k:${i}`);
      }
      await session.reset();
      expect(await cache.set("last", 1, { ttl: "1h", tags: ["a", "b"] })).toBe(true);
      expect(await session.stats()).toEqual({ requests: 1, commands: ["eval"] });
      expect(await size(prefix, "a")).toBeLessThan(20);
      await session.reset();
      expect(await cache.deleteTags("a")).toBe(1);
      expect((await session.stats()).requests).toBe(1);
    } finally {
      await cache.close();
    }
  });
});
