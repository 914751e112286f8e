// RESP3 client tracking in one process, run by the node, bun and deno test files on their own
// entry: a cache with a local memory tier (`clientSide=true`, or `["mem://", "redis://…"]`) serves
// warm reads without a round trip, and a write or delete through another connection (a second
// cache) evicts its local copy through the server's invalidation push, within 250 ms.
import { afterAll, describe, expect, it } from "vitest";
import { startCountingProxy } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";
import { dropPrefixes, freshRedisUrl, type RedisEntry, type RedisEntryCache } from "./redis-targets";

/**
 * The eviction bound: a push takes a few ms on loopback; the margin is for a loaded CI machine
 * running Bun or Deno, where one poll (a GET round trip) alone has taken over 100 ms.
 */
const EVICT_MS = 250;

/** Milliseconds until `cache.get(key)` gives `expected`; fails after `limitMs`. */
async function settles(
  cache: RedisEntryCache,
  key: string,
  expected: unknown,
  limitMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const value = await cache.get(key, null);
    const elapsed = performance.now() - started;
    if (JSON.stringify(value) === JSON.stringify(expected)) return elapsed;
    if (elapsed > limitMs) {
      throw new Error(
        `${key} still ${JSON.stringify(value)}, not ${JSON.stringify(expected)}, after ${limitMs} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Registers the tracking tests for `lib` against the shared redis-server at `redisUrl`. */
export function redisTrackingSuite(lib: RedisEntry, redisUrl: string): void {
  describe.skipIf(skipWithoutRedis)(`redis client tracking (${lib.runtime} entry)`, () => {
    const prefixes: string[] = [];
    afterAll(async () => {
      await dropPrefixes(redisUrl, prefixes);
    });

    for (const [label, clientSide] of [
      ["redis://…?clientSide=true", true],
      ['["mem://", "redis://…"]', false],
    ] as const) {
      it(`${label}: warm reads stay local; another connection's write or delete evicts the copy within 250 ms`, async () => {
        const proxy = await startCountingProxy(Number(new URL(redisUrl).port));
        const { url, prefix } = freshRedisUrl(proxy.url, `track:${lib.runtime}`);
        prefixes.push(prefix);
        const local = new lib.Cache().setup(clientSide ? `${url}&clientSide=true` : ["mem://", url]);
        const other = new lib.Cache().setup(`${redisUrl}/?keyPrefix=${encodeURIComponent(prefix)}`);
        try {
          await local.set("own", "o1"); // a copy made by this cache's write
          await other.set("read", "r1");
          expect(await local.get("read")).toBe("r1"); // a copy made by reading through
          // The push for the write just made can land while that read is on the wire; the tiers
          // then skip the copy (they cannot tell it from a later write), and the next read makes it.
          expect(await local.get("read")).toBe("r1");
          const before = proxy.writes();
          for (let i = 0; i < 20; i++)
            expect([await local.get("own"), await local.get("read")]).toEqual(["o1", "r1"]);
          expect(proxy.writes() - before).toBe(0);

          await other.set("own", "o2");
          await other.set("read", "r2");
          const delays = [
            await settles(local, "own", "o2", EVICT_MS),
            await settles(local, "read", "r2", EVICT_MS),
          ];
          await other.delete("own");
          delays.push(await settles(local, "own", null, EVICT_MS));
          expect(Math.max(...delays)).toBeLessThan(EVICT_MS);
        } finally {
          await Promise.all([local.close(), other.close()]);
          await proxy.close();
        }
      });
    }
  });
}
