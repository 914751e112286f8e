// Several real processes on one Redis: client-side caching (a write in one process evicts the
// local copies of the others within 100 ms) and distributed single-flight (`lock: true`).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { skipWithoutRedis } from "../support/skip";
import { bundleFixture, startWorker, type Worker } from "./fixtures/workers";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";

/** Prints a measured figure when ISOCACHE_FIGURES is set (for the README), silent otherwise. */
function figure(text: string): void {
  if (process.env.ISOCACHE_FIGURES) console.info(`[figure] ${text}`);
}

describe.skipIf(skipWithoutRedis)("redis across processes (node entry)", () => {
  let script = "";
  const prefixes: string[] = [];
  beforeAll(async () => {
    script = await bundleFixture("redis-worker");
  });
  afterAll(async () => {
    await dropPrefixes(redisUrl, prefixes);
  });

  async function workers(count: number, url: string, counterUrl: string): Promise<Worker[]> {
    const started = Array.from({ length: count }, () => startWorker(script));
    await Promise.all(started.map((worker) => worker.call("setup", url, counterUrl)));
    return started;
  }

  for (const [label, query, tiers] of [
    ["redis://…?clientSide=true", "clientSide=true", false],
    ['["mem://", "redis://…"]', "", true],
  ] as const) {
    it(`${label}: a write or delete in one process reaches the other two within 100 ms`, async () => {
      const { url, prefix } = freshRedisUrl(redisUrl, "csc", query);
      prefixes.push(prefix);
      const target = tiers ? JSON.stringify(["mem://", url]) : url;
      const procs = await workers(3, target, redisUrl);
      try {
        const [a, b, c] = procs as [Worker, Worker, Worker];
        await a.call("set", "k", "v1");
        // b and c read it once, so their local tier holds it; a wrote it, so its tier holds it too.
        expect(await b.call("get", "k")).toBe("v1");
        expect(await c.call("get", "k")).toBe("v1");
        const delays: number[] = [];
        for (const [writer, readers, value] of [
          [a, [b, c], "v2"],
          [b, [a, c], "v3"],
          [c, [a, b], "v4"],
        ] as const) {
          await writer.call("set", "k", value);
          delays.push(...(await Promise.all(readers.map((r) => r.call<number>("waitFor", "k", value, 100)))));
        }
        await b.call("delete", "k");
        delays.push(...(await Promise.all([a, c].map((r) => r.call<number>("waitFor", "k", null, 100)))));
        expect(Math.max(...delays)).toBeLessThan(100);
        figure(
          `${label} invalidation delay ms: max ${Math.max(...delays).toFixed(1)}, all ${delays.map((d) => d.toFixed(1)).join(" ")}`,
        );
      } finally {
        await Promise.all(procs.map((worker) => worker.stop()));
      }
    }, 20_000);
  }

  it("lock: true runs the function once for 4 processes x 250 concurrent calls on a cold key", async () => {
    const { url, prefix } = freshRedisUrl(redisUrl, "flight");
    prefixes.push(prefix);
    const procs = await workers(4, url, url);
    try {
      const startAt = Date.now() + 300;
      const results = await Promise.all(
        procs.map((worker) => worker.call<unknown[]>("flight", "cold", "runs", startAt, 250)),
      );
      figure(`single-flight: 4 x 250 calls settled ${Date.now() - startAt} ms after the start`);
      const flat = results.flat();
      expect(flat).toHaveLength(1000);
      expect(new Set(flat)).toEqual(new Set(["cold:1"]));
      expect(await procs[0]?.call("counted", "runs")).toBe(1);
    } finally {
      await Promise.all(procs.map((worker) => worker.stop()));
    }
  }, 20_000);
});
