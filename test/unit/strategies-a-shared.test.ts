// Two caches over one backend stand in for two processes: nothing in-process (single-flight,
// the hit strategy's waiting) is shared between them, only what the backend holds.
import { describe, expect, it } from "vitest";
import { Cache, LockedError, memoryBackend } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same function wrapped by two caches over one backend. */
function inTwoProcesses<T>(wrap: (cache: Cache) => T): { caches: [Cache, Cache]; a: T; b: T } {
  const backend = memoryBackend();
  const caches: [Cache, Cache] = [new Cache().setup(backend), new Cache().setup(backend)];
  return { caches, a: wrap(caches[0]), b: wrap(caches[1]) };
}

describe("strategies across processes sharing a backend", () => {
  it("hit: the shared counter keeps one computation per cacheHits + 1 calls", async () => {
    let version = 0;
    const { a, b } = inTwoProcesses((cache) =>
      cache.hit({ ttl: "1m", cacheHits: 2 })(async function top() {
        version++;
        return `v${version}`;
      }),
    );
    const seen: string[] = [];
    for (let call = 0; call < 7; call++) seen.push(await (call % 2 === 0 ? a : b)());
    expect(seen).toEqual(["v1", "v1", "v1", "v2", "v2", "v2", "v3"]);
  });

  it("early: one background refresh between both processes", async () => {
    let calls = 0;
    const { caches, a, b } = inTwoProcesses((cache) =>
      cache.early({ ttl: "1s", earlyTtl: "50ms" })(async function feed() {
        calls++;
        const mine = calls;
        await sleep(20);
        return `v${mine}`;
      }),
    );
    expect(await a()).toBe("v1");
    await sleep(70);
    const pending: Promise<unknown>[] = [];
    const waitUntil = (work: Promise<unknown>) => pending.push(work);
    const results = await Promise.all(
      [a, b, a, b].map((feed, index) =>
        caches[(index % 2) as 0 | 1].withRequest({ waitUntil }, () => feed()),
      ),
    );
    expect(results).toEqual(["v1", "v1", "v1", "v1"]);
    expect(pending).toHaveLength(2); // one per process; the lock lets only one of them execute
    await Promise.all(pending);
    expect(calls).toBe(2);
    expect(await b()).toBe("v2");
  });

  it("locked: a call in one process excludes the other", async () => {
    const { a, b } = inTwoProcesses((cache) =>
      cache.locked({ ttl: "5s", wait: false })(async function charge() {
        await sleep(30);
        return "done";
      }),
    );
    const first = a();
    await sleep(5);
    await expect(b()).rejects.toBeInstanceOf(LockedError);
    expect(await first).toBe("done");
    expect(await b()).toBe("done");
  });
});
