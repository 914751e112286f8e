// rediss:// against a real TLS-only redis-server with a self-signed certificate, run by the node,
// bun and deno test files on their own entry: a process of the same runtime that trusts the
// certificate (NODE_EXTRA_CA_CERTS, which Bun and Deno read too) reads and writes; one that does
// not gets misses reported through onError, never a throw, and a ping that rejects (with
// suppress, after reporting through onError), as does a plain server on the rediss:// port.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";
import { bundleFixture, startWorker } from "./fixtures/workers";
import type { RedisEntry } from "./redis-targets";

/** What the worker's `pingTwice` answers. */
type PingReport = {
  outcomes: ({ value: unknown } | { error: string; message: string })[];
  reported: { error: string; message: string }[];
};

/** Registers the rediss:// tests for `lib`, whose child process runs on the same runtime. */
export function redisTlsSuite(lib: RedisEntry): void {
  describe.skipIf(skipWithoutRedis)(`rediss:// (TLS, ${lib.runtime} entry)`, () => {
    let redis: RedisProcess;
    let plain: RedisProcess;
    let script = "";
    beforeAll(async () => {
      [redis, plain, script] = await Promise.all([
        startRedis({ tls: true }),
        startRedis(),
        bundleFixture("redis-worker", lib.runtime),
      ]);
    });
    afterAll(async () => {
      await Promise.all([redis?.stop(), plain?.stop()]);
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

    /** `pingTwice` in a child process of this runtime that does not trust the certificate. */
    async function pingUntrusted(url: string, suppress: boolean): Promise<PingReport> {
      const worker = startWorker(script);
      try {
        return await worker.call<PingReport>("pingTwice", `${url}?connectTimeout=1000`, suppress);
      } finally {
        await worker.stop();
      }
    }

    for (const [label, target] of [
      ["a child process not trusting the certificate", () => redis.url],
      ["a plain (non-TLS) server on the rediss:// port", () => `rediss://127.0.0.1:${plain.port}`],
    ] as const) {
      it(`${label}: ping rejects with CacheBackendError saying what to check, the first call and later ones`, async () => {
        const { outcomes, reported } = await pingUntrusted(target(), false);
        expect(reported).toEqual([]);
        expect(outcomes.map((o) => ("error" in o ? o.error : o.value))).toEqual([
          "CacheBackendError",
          "CacheBackendError",
        ]);
        const [first, later] = outcomes.map((o) => ("message" in o ? o.message : ""));
        expect(first).toMatch(
          /^\[isocache\] \[redis\] could not connect \(.+\): check that Redis is reachable, serves TLS/,
        );
        expect(later).toMatch(
          /^\[isocache\] \[redis\] not connected \(last error: .+\): check that Redis is reachable, serves TLS/,
        );
        expect(later).toMatch(/NODE_EXTRA_CA_CERTS/);
      }, 20_000);

      it(`${label}: with suppress (default) each failed ping is reported to onError as a CacheBackendError`, async () => {
        const { outcomes, reported } = await pingUntrusted(target(), true);
        // ping is a health check: it rejects under suppress too, with the error it reported.
        expect(outcomes.map((o) => ("error" in o ? o.error : o.value))).toEqual([
          "CacheBackendError",
          "CacheBackendError",
        ]);
        expect(outcomes.map((o) => ("message" in o ? o.message : ""))).toEqual(
          reported.map((o) => o.message),
        );
        expect(reported.map((o) => o.error)).toEqual(["CacheBackendError", "CacheBackendError"]);
        expect(reported[1]?.message).toMatch(/not connected \(last error: .+\): .*NODE_EXTRA_CA_CERTS/);
      }, 20_000);
    }

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
