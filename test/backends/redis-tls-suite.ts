// rediss:// against a real TLS-only redis-server with a self-signed certificate, run by the node,
// bun and deno test files on their own entry: a process of the same runtime that trusts the
// certificate (NODE_EXTRA_CA_CERTS, which Bun and Deno read too) reads and writes; one that does
// not gets misses reported through onError, never a throw.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";
import { bundleFixture, startWorker } from "./fixtures/workers";
import type { RedisEntry } from "./redis-targets";

/** Registers the rediss:// tests for `lib`, whose child process runs on the same runtime. */
export function redisTlsSuite(lib: RedisEntry): void {
  describe.skipIf(skipWithoutRedis)(`rediss:// (TLS, ${lib.runtime} entry)`, () => {
    let redis: RedisProcess;
    let script = "";
    beforeAll(async () => {
      [redis, script] = await Promise.all([
        startRedis({ tls: true }),
        bundleFixture("redis-worker", lib.runtime),
      ]);
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it("a process trusting the server's certificate stores and reads over TLS", async () => {
      expect(redis.url.startsWith("rediss://")).toBe(true);
      const worker = startWorker(script, { NODE_EXTRA_CA_CERTS: redis.caFile as string });
      try {
        expect(await worker.call("setup", `${redis.url}/2?keyPrefix=tls:`, redis.url)).toBe("PONG");
        expect(await worker.call("runtime")).toBe(lib.runtime);
        await worker.call("set", "k", { over: "tls" });
        expect(await worker.call("get", "k")).toEqual({ over: "tls" });
      } finally {
        await worker.stop();
      }
    }, 20_000);

    it("an untrusted certificate fails the connection: misses reported through onError", async () => {
      const errors: unknown[] = [];
      const cache = new lib.Cache().setup(`${redis.url}?connectTimeout=2000`, {
        onError: (error) => errors.push(error),
      });
      try {
        expect(await cache.get("k", "miss")).toBe("miss");
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]).toBeInstanceOf(lib.CacheBackendError);
      } finally {
        await cache.close();
      }
    });
  });
}
