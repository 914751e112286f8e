// Inside workerd: the backend conformance suite on memory in front of Upstash, and the HTTP
// requests a hit, a miss and a back-fill cost, counted by a gateway session over `/__control/*`;
// then a hanging server with `timeout` and `suppress`, which must settle as a miss in time.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { upstashBackend } from "../../../src/backends/upstash.workerd";
import { backendSuite } from "../../conformance/backend-suite";
import { freshNamespace, openSession, upstashTarget } from "../../support/upstash-target";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const backend = (namespace: string, token = address.token) =>
  upstashBackend({ url: address.url, token, namespace });

describe.skipIf(address.url === "")("memory in front of upstash on workerd", () => {
  backendSuite(t, {
    name: "memory+upstash",
    lib,
    ...upstashTarget(lib, "workerd-tiers", (ns) => [lib.memoryBackend(), backend(ns)]),
  });

  it("a hit costs 1 request, a miss that stores at most 2, a back-fill 1, a memory hit none", async () => {
    const session = await openSession(address);
    const namespace = freshNamespace("workerd-economy");
    const plain = new lib.Cache().setup(backend(namespace, session.token));
    const load = plain.cached({ ttl: "1m", key: "k:{id}" })(async function load(id: string) {
      return id;
    });
    expect(await load("1")).toBe("1");
    const miss = (await session.stats()).requests;
    expect(miss).toBeLessThanOrEqual(2);
    expect(await load("1")).toBe("1");
    expect((await session.stats()).requests - miss).toBe(1);
    await session.reset();
    const tiered = new lib.Cache().setup([lib.memoryBackend(), backend(namespace, session.token)]);
    expect(await tiered.get("k:1")).toBe("1");
    expect(await tiered.get("k:1")).toBe("1");
    expect((await session.stats()).requests).toBe(1);
    await plain.clear();
  });

  it("a hanging server: with timeout and suppress, get and cached() settle as misses in time", async () => {
    const session = await openSession(address);
    const errors: unknown[] = [];
    const cache = new lib.Cache().setup(backend(freshNamespace("workerd-hang"), session.token), {
      timeout: 300,
      onError: (error) => void errors.push(error),
    });
    await cache.ping();
    await session.setFault({ kind: "hang" });
    try {
      let started = Date.now();
      expect(await cache.get("k", "default")).toBe("default");
      expect(Date.now() - started).toBeLessThanOrEqual(400);
      let calls = 0;
      const fn = cache.cached({ ttl: "1m", key: "f" })(async function f() {
        return ++calls;
      });
      started = Date.now();
      expect(await fn()).toBe(1);
      expect(Date.now() - started).toBeLessThanOrEqual(700);
      expect(errors.every((error) => error instanceof lib.CacheBackendError)).toBe(true);
      expect(errors.length).toBe(3);
    } finally {
      await session.setFault(undefined);
    }
  });
});
