// Faults on loopback: a throwaway redis-server is SIGKILLed while 1,000 operations are in flight.
// With `suppress` every call settles within `timeout` + 100 ms as a miss or no-op (strategies call
// the function), with `suppress: false` each failing call rejects with CacheBackendError; nothing
// is left unhandled, commands issued while Redis is down fail at once, and the same cache works
// again within 2 s of the restart, without a new `setup`; a memory tier in front (`["mem://", …]`
// or `clientSide=true`) serves no copy from before the outage once it is back. Run by the node,
// bun and deno test files on their own entry (the server is a child process each runtime spawns
// and kills itself).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";
import type { RedisEntry, RedisEntryCache } from "./redis-targets";

const TIMEOUT_MS = 250;
const OPS = 1000;

/** Prints a measured figure when ISOCACHE_FIGURES is set (for the README), silent otherwise. */
function figure(text: string): void {
  if (process.env.ISOCACHE_FIGURES) console.info(`[figure] ${text}`);
}

/** How a call ended; `at` is the `performance.now()` of its settling. */
type Outcome = { ok: boolean; value: unknown; error: unknown; ms: number; at: number };

/**
 * The slowest settling, counted from the moment the last call was issued: issuing 1,000 calls is
 * CPU work that a loaded machine stretches, while the bound under test is how long a call waits.
 */
function slowest(outcomes: Outcome[], issuedAt: number): number {
  return Math.max(...outcomes.map((o) => o.at - issuedAt));
}

/** Starts `OPS` mixed operations (get, set, incr, a cached function), timing each one. */
function fire(cache: RedisEntryCache, round: string): Promise<Outcome>[] {
  const load = cache.cached({ ttl: "1m", key: `${round}:fn:{0}` })(async (id: number) => `computed:${id}`);
  const ops: (() => Promise<unknown>)[] = [];
  for (let index = 0; index < OPS; index++) {
    const key = `${round}:${index}`;
    const kind = index % 4;
    if (kind === 0) ops.push(() => cache.get(key, "miss"));
    else if (kind === 1) ops.push(() => cache.set(key, index));
    else if (kind === 2) ops.push(() => cache.incr(`${round}:counter`));
    else ops.push(() => load(index));
  }
  return ops.map(async (op) => {
    const started = performance.now();
    try {
      const value = await op();
      const at = performance.now();
      return { ok: true, value, error: undefined, ms: at - started, at };
    } catch (error) {
      const at = performance.now();
      return { ok: false, value: undefined, error, ms: at - started, at };
    }
  });
}

/** Polls until `cache` stores and reads again; milliseconds it took. */
async function recovery(cache: RedisEntryCache): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 5000) {
    if ((await cache.set("probe", 1).catch(() => false)) && (await cache.get("probe").catch(() => 0)) === 1) {
      return performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Pings until the first connection is up (within 5 s): a loaded machine may take longer than
 * the tests' short `timeout` to connect, and ping rejects rather than answer for a backend not up.
 */
async function connected(cache: RedisEntryCache): Promise<string> {
  const started = performance.now();
  for (;;) {
    try {
      return await cache.ping();
    } catch (error) {
      if (performance.now() - started > 5000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Registers the fault tests for `lib`; each file starts its own throwaway redis-server. */
export function redisFaultsSuite(lib: RedisEntry): void {
  describe.skipIf(skipWithoutRedis)(`redis faults (${lib.runtime} entry)`, () => {
    let redis: RedisProcess;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const caches: RedisEntryCache[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      process.on("unhandledRejection", onUnhandled);
    });
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
    });
    afterAll(async () => {
      process.off("unhandledRejection", onUnhandled);
      await redis.stop();
    });

    it("suppress (default): every call settles within timeout + 100 ms as a miss or no-op, then it recovers", async () => {
      const errors: unknown[] = [];
      const cache = new lib.Cache().setup(redis.url, {
        timeout: TIMEOUT_MS,
        onError: (error) => errors.push(error),
      });
      caches.push(cache);
      expect(await connected(cache)).toBe("PONG");
      const pending = fire(cache, "s");
      const issuedAt = performance.now();
      const killed = redis.kill("SIGKILL"); // the signal is sent now, while the commands are queued or on the wire
      const outcomes = await Promise.all(pending);
      await killed;
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      expect(slowest(outcomes, issuedAt)).toBeLessThanOrEqual(TIMEOUT_MS + 100);
      outcomes.forEach((o, index) => {
        const kind = index % 4;
        if (kind === 0) expect(o.value).toBe("miss");
        if (kind === 3) expect(o.value).toBe(`computed:${index}`); // the strategy called the function
      });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => error instanceof lib.CacheBackendError)).toBe(true);

      // While Redis is down a command fails at once instead of waiting for the timeout.
      const started = performance.now();
      expect(await cache.get("s:0", "down")).toBe("down");
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);

      const downMs = performance.now() - started;
      await redis.restart();
      const recovered = await recovery(cache);
      expect(recovered).toBeLessThan(2000);
      figure(
        `suppress: slowest of ${OPS} calls ${slowest(outcomes, issuedAt).toFixed(1)} ms after issue, ${Math.max(...outcomes.map((o) => o.ms)).toFixed(1)} ms from its own start (timeout ${TIMEOUT_MS}), ` +
          `${errors.length} reported, command while down ${downMs.toFixed(1)} ms, recovered ${recovered.toFixed(0)} ms after restart`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    }, 20_000);

    it("suppress: false: each failing call rejects with CacheBackendError, then it recovers", async () => {
      const cache = new lib.Cache().setup(redis.url, { timeout: TIMEOUT_MS, suppress: false });
      caches.push(cache);
      expect(await connected(cache)).toBe("PONG");
      const pending = fire(cache, "f");
      const issuedAt = performance.now();
      const killed = redis.kill("SIGKILL");
      const outcomes = await Promise.all(pending);
      await killed;
      const failed = outcomes.filter((o) => !o.ok);
      expect(failed.length).toBeGreaterThan(OPS / 2);
      for (const o of failed) expect(o.error).toBeInstanceOf(lib.CacheBackendError);
      expect(slowest(outcomes, issuedAt)).toBeLessThanOrEqual(TIMEOUT_MS + 100);
      const down = await cache.get("f:0").then(
        () => "resolved",
        (error: unknown) => error,
      );
      expect(down).toBeInstanceOf(lib.CacheBackendError);
      await redis.restart();
      const recovered = await recovery(cache);
      expect(recovered).toBeLessThan(2000);
      figure(
        `suppress: false: ${failed.length} of ${OPS} rejected with CacheBackendError, slowest ${slowest(outcomes, issuedAt).toFixed(1)} ms after issue, recovered ${recovered.toFixed(0)} ms after restart`,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    }, 20_000);

    for (const [label, tiered] of [
      ['["mem://", "redis://…"]', true],
      ["redis://…?clientSide=true", false],
    ] as const) {
      it(`${label}: after Redis is killed and restarted, the memory tier serves no copy from before`, async () => {
        const url = `${redis.url}/?keyPrefix=${encodeURIComponent(`outage:${label.length}:`)}`;
        const local = new lib.Cache().setup(tiered ? ["mem://", url] : `${url}&clientSide=true`, {
          timeout: TIMEOUT_MS,
          onError: () => undefined,
        });
        caches.push(local);
        await local.set("lost", "v1"); // the restarted server has no persistence: it forgets this
        await local.set("changed", "v1");
        expect([await local.get("lost"), await local.get("changed")]).toEqual(["v1", "v1"]); // local copies
        await redis.kill("SIGKILL");
        await redis.restart();
        // Written while `local` is still reconnecting: no invalidation push can reach it.
        const other = new lib.Cache().setup(url, { suppress: false });
        caches.push(other);
        await other.set("changed", "v2");
        await other.set("probe", 1);
        const started = performance.now();
        while ((await local.get("probe", 0)) !== 1) {
          expect(performance.now() - started, "local reconnected").toBeLessThan(5000);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect([await local.get("lost", null), await local.get("changed", null)]).toEqual([null, "v2"]);
        expect(unhandled).toEqual([]);
      }, 20_000);
    }

    it("close() while Redis stops answering drops the connection after connectTimeout instead of hanging", async () => {
      const cache = new lib.Cache().setup(`${redis.url}?connectTimeout=200`, {
        timeout: TIMEOUT_MS,
        onError: () => undefined,
      });
      caches.push(cache);
      expect(await connected(cache)).toBe("PONG");
      redis.freeze();
      try {
        expect(await cache.get("frozen", "miss")).toBe("miss"); // a command left waiting for its reply
        const started = performance.now();
        const closed = await Promise.race([
          cache.close().then(() => performance.now() - started),
          new Promise((resolve) => setTimeout(() => resolve("close() still pending after 2 s"), 2000)),
        ]);
        expect(closed).toBeTypeOf("number");
        expect(closed).toBeLessThan(1000);
      } finally {
        redis.thaw();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    });
  });
}
