// Atomicity across processes on one Redis, over TCP (node-redis), over HTTP (Upstash client
// through the gateway) and behind a memory tier: 4 real child processes, each with its own
// connection, race on one sliding window and on one tag index.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, upstashUrl } from "../support/upstash-target";
import { bundleFixture, startWorker, type Worker } from "./fixtures/workers";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const PROCESSES = 4;

/** Prints a measured figure when ISOCACHE_FIGURES is set, silent otherwise. */
function figure(text: string): void {
  if (process.env.ISOCACHE_FIGURES) console.info(`[figure] ${text}`);
}

/** A fresh target (what `setup` receives, as text) and the key prefix to drop afterwards. */
type Target = () => { target: string; prefix: string };

const targets: [string, Target][] = [
  [
    "redis",
    () => {
      const { url, prefix } = freshRedisUrl(redisUrl, "atomic");
      return { target: url, prefix };
    },
  ],
  [
    "upstash",
    () => {
      const prefix = freshNamespace("atomic");
      return { target: upstashUrl(address, prefix), prefix };
    },
  ],
  [
    "memory+redis",
    () => {
      const { url, prefix } = freshRedisUrl(redisUrl, "atomic-tier");
      return { target: JSON.stringify(["mem://", url]), prefix };
    },
  ],
];

describe.skipIf(skipWithoutRedis)("atomic windows and tag indexes across processes", () => {
  let procs: Worker[] = [];
  const prefixes: string[] = [];
  beforeAll(async () => {
    const script = await bundleFixture("atomic-worker");
    procs = Array.from({ length: PROCESSES }, () => startWorker(script));
  }, 20_000);
  afterAll(async () => {
    await Promise.all(procs.map((worker) => worker.stop()));
    await dropPrefixes(redisUrl, prefixes);
  });

  /**
   * Sets every process up on one fresh target, with the core options in `query` added to its URL,
   * or for a list of tiers given as setup's options (a tier's URL may not carry them).
   */
  async function setupAll(make: Target, query = ""): Promise<void> {
    const { target, prefix } = make();
    prefixes.push(prefix);
    if (target.startsWith("[")) {
      const options = Object.fromEntries(new URLSearchParams(query));
      await Promise.all(procs.map((worker) => worker.call("setup", target, options)));
      return;
    }
    const full = query === "" ? target : `${target}&${query}`;
    await Promise.all(procs.map((worker) => worker.call("setup", full)));
  }

  for (const [name, make] of targets) {
    it(`${name}: 4 processes x 50 sliceRateLimit calls (10 waves of 5 concurrent) on one key admit exactly 10`, async () => {
      await setupAll(make);
      // The window (10 s) outlasts the burst by far, so "exactly 10" holds however loaded the machine is.
      const startAt = Date.now() + 300;
      const ran = await Promise.all(
        procs.map((worker) => worker.call<number>("slice", "one", startAt, 10, 5, 10, "10s")),
      );
      const burstMs = Date.now() - startAt;
      figure(`${name} sliceRateLimit: admitted per process ${ran.join(" ")}, burst ${burstMs} ms`);
      expect(burstMs).toBeLessThan(10_000);
      expect(ran.reduce((sum, count) => sum + count, 0)).toBe(10);
      // The window is still full for every process afterwards.
      const again = await Promise.all(
        procs.map((worker) => worker.call<number>("slice", "one", 0, 1, 5, 10, "10s")),
      );
      expect(again).toEqual([0, 0, 0, 0]);
    }, 30_000);

    it(`${name}: 4 processes x 50 rateLimit calls (10 waves of 5 concurrent) on one key admit exactly 10`, async () => {
      await setupAll(make);
      const startAt = Date.now() + 300;
      const ran = await Promise.all(
        procs.map((worker) => worker.call<number>("fixed", "one", startAt, 10, 5, 10, "10s")),
      );
      expect(Date.now() - startAt).toBeLessThan(10_000);
      expect(ran.reduce((sum, count) => sum + count, 0)).toBe(10);
      const again = await Promise.all(
        procs.map((worker) => worker.call<number>("fixed", "one", 0, 1, 5, 10, "10s")),
      );
      expect(again).toEqual([0, 0, 0, 0]);
    }, 30_000);

    it(`${name}: 4 processes marking 50 members each at once in one Bloom filter lose no mark`, async () => {
      await setupAll(make);
      const members = Array.from({ length: PROCESSES * 50 }, (_, at) => `member-${at}@example.com`);
      const startAt = Date.now() + 300;
      await Promise.all(
        procs.map((worker, at) => worker.call("mark", members.slice(at * 50, at * 50 + 50), startAt)),
      );
      const missing = await Promise.all(procs.map((worker) => worker.call<string[]>("unmarked", members)));
      expect(missing).toEqual([[], [], [], []]);
    }, 30_000);

    it(`${name}: a half-open circuit lets one probe through of 4 processes x 5 concurrent calls, then closes`, async () => {
      await setupAll(make);
      expect(await procs[0]?.call("circuit", "fail", 0, 1)).toEqual(["RangeError"]);
      expect(await procs[1]?.call("circuit", "ok", 0, 1)).toEqual(["CircuitBreakerOpen"]);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const startAt = Date.now() + 200;
      const outcomes = (
        await Promise.all(procs.map((worker) => worker.call<string[]>("circuit", "slow", startAt, 5)))
      ).flat();
      expect(outcomes.filter((outcome) => outcome === "ran")).toHaveLength(1);
      expect(new Set(outcomes.filter((outcome) => outcome !== "ran"))).toEqual(
        new Set(["CircuitBreakerOpen"]),
      );
      const after = await Promise.all(procs.map((worker) => worker.call<string[]>("circuit", "ok", 0, 2)));
      expect(after.flat()).toEqual(Array(8).fill("ran"));
    }, 30_000);

    it(`${name}: 4 processes x 50 increments (10 waves of 5 concurrent) of one tagged counter lose none`, async () => {
      await setupAll(make);
      const [first] = procs as [Worker];
      // The tags put a header in the record, so INCRBY cannot add to it: each incr rewrites it.
      expect(await first.call("set", "hits", 0, ["counters"])).toBe(true);
      const startAt = Date.now() + 300;
      const counts = await Promise.all(
        procs.map((worker) => worker.call<number[]>("count", "hits", 1, startAt, 10, 5)),
      );
      const all = counts.flat().sort((a, b) => a - b);
      // Every increment saw a count no other one saw: 1 to 200, each once.
      expect(all).toEqual(Array.from({ length: 200 }, (_, at) => at + 1));
      expect(await Promise.all(procs.map((worker) => worker.call("get", "hits")))).toEqual([
        200, 200, 200, 200,
      ]);
      // The counter kept its tag through the rewrites.
      expect(await first.call("deleteTags", "counters")).toBe(1);
      expect(await first.call("get", "hits")).toBe(null);
    }, 30_000);

    it(`${name}: signed counters with a fractional step stay exact across 4 processes`, async () => {
      await setupAll(make, "secret=s3cret");
      const startAt = Date.now() + 300;
      const counts = await Promise.all(
        procs.map((worker) => worker.call<number[]>("count", "half", 0.5, startAt, 10, 5)),
      );
      const all = counts.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 200 }, (_, at) => (at + 1) / 2));
      expect(await Promise.all(procs.map((worker) => worker.call("get", "half")))).toEqual([
        100, 100, 100, 100,
      ]);
    }, 30_000);

    it(`${name}: 4 processes x 250 tagged sets (25 waves of 10 concurrent) on one tag, then deleteTags removes all 1,000`, async () => {
      await setupAll(make);
      const startAt = Date.now() + 300;
      const stored = await Promise.all(
        procs.map((worker, index) =>
          worker.call<number>("tagged", "item", index * 250, "all", startAt, 25, 10),
        ),
      );
      expect(stored).toEqual([250, 250, 250, 250]);
      const [first] = procs as [Worker];
      const deleted = await first.call<number>("deleteTags", "all");
      figure(`${name} tags: deleteTags removed ${deleted} of 1000`);
      expect(deleted).toBe(1000);
      expect(await first.call("present", "item", 1000)).toBe(0);
      // The index went with its members: a second deleteTags finds nothing.
      expect(await first.call("deleteTags", "all")).toBe(0);
    }, 30_000);
  }
});
