// Tags over Upstash: what a tagged set and a tag invalidation cost in HTTP requests (counted by
// the gateway, one session per test) and that the one-script invalidation keeps the contract:
// every key carrying the tag goes, the rest stays with its TTL, memory tiers and keys of other
// routes included, and concurrent writers from other clients never leave a tagged key unindexed.
import { describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { closedAfterEach } from "../support/closing";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, openSession, type RemoteSession, upstashUrl } from "../support/upstash-target";

const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const opened = closedAfterEach<lib.Cache>();

/** A cache whose Upstash requests `session` counts; `tiers` puts a memory tier in front. */
async function counted(
  tiers = false,
  namespace = freshNamespace("tags"),
): Promise<{ cache: lib.Cache; session: RemoteSession; url: string }> {
  const session = await openSession(address);
  const url = upstashUrl({ url: address.url, token: session.token }, namespace);
  const cache = new lib.Cache().setup(tiers ? ["mem://", url] : url);
  opened.push(cache);
  return { cache, session, url };
}

/** Requests and commands since the last reset, then a reset. */
async function spent(session: RemoteSession): Promise<{ requests: number; commands: string[] }> {
  const stats = await session.stats();
  await session.reset();
  return stats;
}

describe.skipIf(skipWithoutRedis)("upstash tags: HTTP economy", () => {
  it("a tagged set costs 1 request; deleteTags costs 1 request whether it deletes 1 key or 10", async () => {
    const { cache, session } = await counted();
    await cache.set("plain", "p", { ttl: "1h" });
    await cache.set("other", "o", { ttl: "1h", tags: ["beta"] });
    await session.reset();
    expect(await cache.set("one", 1, { ttl: "1h", tags: ["alpha"] })).toBe(true);
    expect(await spent(session)).toEqual({ requests: 1, commands: ["eval"] });
    expect(await cache.getExpire("one")).toBeGreaterThan(3_500_000);
    await session.reset();
    expect(await cache.deleteTags("alpha")).toBe(1);
    expect(await spent(session)).toEqual({ requests: 1, commands: ["eval"] });

    for (let i = 0; i < 10; i++) await cache.set(`many:${i}`, i, { ttl: "1h", tags: ["ten"] });
    await session.reset();
    expect(await cache.deleteTags("ten")).toBe(10);
    expect(await spent(session)).toEqual({ requests: 1, commands: ["eval"] });
    expect(await cache.getMany(["many:0", "many:9", "one"])).toEqual([undefined, undefined, undefined]);
    // Untagged and otherwise tagged keys stay, TTL included.
    expect(await cache.getMany(["plain", "other"])).toEqual(["p", "o"]);
    expect(await cache.getExpire("other")).toBeGreaterThan(3_500_000);
    // The index went with its members.
    expect(await cache.deleteTags("ten")).toBe(0);
  });

  it("a tagged set with exist stores and indexes only when the condition holds", async () => {
    const { cache, session } = await counted();
    expect(await cache.set("k", 1, { exist: true, tags: ["c"] })).toBe(false);
    expect(await cache.set("k", 2, { exist: false, ttl: "1m", tags: ["c"] })).toBe(true);
    expect(await cache.set("k", 3, { exist: false, tags: ["c"] })).toBe(false);
    expect(await cache.set("k", 4, { exist: true, ttl: "2m", tags: ["c", "d"] })).toBe(true);
    expect((await spent(session)).requests).toBe(4);
    expect(await cache.get("k")).toBe(4);
    expect(await cache.getExpire("k")).toBeGreaterThan(60_000);
    expect(await cache.deleteTags("d")).toBe(1);
    expect(await cache.deleteTags("c")).toBe(0);
  });

  it("keeps a key rewritten without the tag, and counts a key carrying two deleted tags once", async () => {
    const { cache } = await counted(false, `${freshNamespace("tags")}*?[]\\%.`);
    const odd = 'quote " back \\ ünï';
    await cache.set("moved", 1, { tags: [odd] });
    await cache.set("moved", 2, { ttl: "1h" });
    await cache.set("both", 3, { tags: [odd, "x"] });
    await cache.set("gone", 4, { tags: ["x"] });
    expect(await cache.deleteTags(odd, "x")).toBe(2);
    expect(await cache.get("moved")).toBe(2);
    expect(await cache.getMany(["both", "gone"])).toEqual([undefined, undefined]);
  });

  it("behind a memory tier: one request, and the memory copies go too", async () => {
    const { cache, session } = await counted(true);
    await cache.set("a", 1, { tags: ["t"] });
    await cache.set("b", 2, { tags: ["t"] });
    await cache.set("c", 3);
    expect((await spent(session)).requests).toBe(3); // one per write, tagged or not

    expect(await cache.get("a")).toBe(1); // the tagged write reached the memory tier too
    expect((await spent(session)).requests).toBe(0);
    expect(await cache.deleteTags("t")).toBe(2);
    expect((await spent(session)).requests).toBe(1);
    expect(await cache.getMany(["a", "b", "c"])).toEqual([undefined, undefined, 3]);
  });

  it("deletes tagged keys that another route serves, with the index on Upstash", async () => {
    const { cache } = await counted();
    cache.setup("mem://", { prefix: "local" });
    await cache.set("local:1", 1, { tags: ["mixed"] });
    await cache.set("remote:1", 2, { tags: ["mixed"] });
    await cache.set("local:2", 3);
    expect(await cache.deleteTags("mixed")).toBe(2);
    expect(await cache.getMany(["local:1", "remote:1", "local:2"])).toEqual([undefined, undefined, 3]);
  });

  it("two clients writing tagged keys while a third invalidates: no tagged key is left unindexed", async () => {
    const namespace = freshNamespace("tags-race");
    const writers = [await counted(false, namespace), await counted(false, namespace)];
    const { cache: killer } = await counted(false, namespace);
    const writes = writers.map(({ cache }, w) =>
      (async () => {
        for (let wave = 0; wave < 10; wave++)
          await Promise.all(
            Array.from({ length: 5 }, (_, i) =>
              cache.set(`w${w}:${wave}:${i}`, i, { ttl: "1h", tags: ["race"] }),
            ),
          );
      })(),
    );
    let invalidated = 0;
    const kills = (async () => {
      for (let round = 0; round < 8; round++) invalidated += await killer.deleteTags("race");
    })();
    await Promise.all([...writes, kills]);
    const remaining = 100 - invalidated;
    // Whatever survived the racing invalidations is still indexed, so one more removes it all.
    expect(await killer.deleteTags("race")).toBe(remaining);
    const left: string[] = [];
    for await (const key of killer.scan("w*")) left.push(key);
    expect(left).toEqual([]);
  }, 30_000);
});
