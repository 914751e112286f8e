// Faults between the Upstash backend and its server, caused for real by the gateway (its own
// session, so other files are untouched): 500 answers, requests that hang past `timeout`, replies
// that are not JSON, and a wrong token. With `suppress` every call settles within timeout + 100 ms
// as a miss or no-op and `cached()` calls the function; with `suppress: false` each call rejects
// with CacheBackendError. Loopback only; each test is bounded by `timeout`.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { skipWithoutRedis } from "../support/skip";
import {
  type Fault,
  freshNamespace,
  openSession,
  type RemoteSession,
  upstashUrl,
} from "../support/upstash-target";

const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const TIMEOUT_MS = 300;
type Failure = Extract<Fault["kind"], "500" | "hang" | "garbage">;
const FAULTS: Failure[] = ["500", "hang", "garbage"];
/** What the message of each fault says. */
const SAYS: Record<Failure, RegExp> = {
  "500": /failed \(ERR injected failure\)/,
  hang: /timed out after 300 ms/,
  garbage: /a reply in HTML, not Upstash REST JSON \("not json"\)/,
};

let session: RemoteSession;
let caches: lib.Cache[] = [];
let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeEach(async () => {
  session = await openSession(address);
  unhandled = [];
  process.on("unhandledRejection", onUnhandled);
});

afterEach(async () => {
  await session.setFault(undefined);
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  process.off("unhandledRejection", onUnhandled);
  caches = [];
});

function faultyCache(options: lib.SetupOptions, token = session.token): lib.Cache {
  const url = upstashUrl({ url: address.url, token }, freshNamespace("faults"));
  const cache = new lib.Cache().setup(url, { timeout: TIMEOUT_MS, ...options });
  caches.push(cache);
  return cache;
}

async function keysOf(scan: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of scan) keys.push(key);
  return keys;
}

/** Every basic call a request can fail under, with what it settles to when suppressed. */
function calls(cache: lib.Cache, loads: { count: number }): [string, () => Promise<unknown>, unknown][] {
  const load = cache.cached({ ttl: "1m", key: "fn:{id}" })(async function load(id: string) {
    loads.count++;
    return `loaded ${id}`;
  });
  return [
    ["get", () => cache.get("k", "default"), "default"],
    ["set", () => cache.set("k", 1, { ttl: "1m" }), false],
    ["set exist", () => cache.set("k", 1, { exist: false }), false],
    ["exists", () => cache.exists("k"), false],
    ["getOrSet", () => cache.getOrSet("k", () => "computed"), "computed"],
    ["cached", () => load("1"), "loaded 1"],
    ["getMany", () => cache.getMany(["a", "b"], 0), [0, 0]],
    ["delete", () => cache.delete("k"), false],
    ["incr", () => cache.incr("n", 2), 2],
    ["setLock", () => cache.setLock("l", "t", "1m"), false],
    ["getExpire", () => cache.getExpire("k"), -2],
    ["scan", () => keysOf(cache.scan("*")), []],
  ];
}

describe.skipIf(skipWithoutRedis)("upstash faults", () => {
  for (const kind of FAULTS) {
    it(`suppressed: a ${kind} reply makes every call a miss or no-op within timeout + 100 ms`, async () => {
      const errors: lib.CacheError[] = [];
      const cache = faultyCache({ onError: (error) => void errors.push(error) });
      await cache.ping(); // load the client before timing
      await session.setFault({ kind });
      const loads = { count: 0 };
      for (const [what, call, expected] of calls(cache, loads)) {
        const started = Date.now();
        expect(await call(), what).toEqual(expected);
        // cached() and getOrSet make two backend calls (read, then store), each bounded by timeout.
        const allowed = (what === "cached" || what === "getOrSet" ? 2 : 1) * TIMEOUT_MS + 100;
        expect(Date.now() - started, what).toBeLessThanOrEqual(allowed);
      }
      // A health check: ping rejects under suppress too, in time, rather than answer "PONG".
      const started = Date.now();
      const pinged = await cache.ping().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(pinged).toBeInstanceOf(lib.CacheBackendError);
      expect(Date.now() - started).toBeLessThanOrEqual(TIMEOUT_MS + 100);
      expect(loads.count).toBe(1);
      expect(errors.length).toBeGreaterThanOrEqual(13);
      for (const error of errors) {
        expect(error).toBeInstanceOf(lib.CacheBackendError);
        expect(error.message).toMatch(/^\[isocache\] \[upstash\] /);
      }
      expect(unhandled).toEqual([]);
    });

    it(`suppress: false: a ${kind} reply rejects every call with CacheBackendError`, async () => {
      const cache = faultyCache({ suppress: false });
      await cache.ping();
      await session.setFault({ kind });
      for (const [what, call] of calls(cache, { count: 0 })) {
        const started = Date.now();
        const error = await call().then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error, what).toBeInstanceOf(lib.CacheBackendError);
        expect((error as Error).message, what).toMatch(SAYS[kind]);
        expect(Date.now() - started, what).toBeLessThanOrEqual(TIMEOUT_MS + 100);
      }
      expect(unhandled).toEqual([]);
    });
  }

  it("a wrong token gives a CacheBackendError saying to check the token, without echoing it", async () => {
    const wrong = "definitely-not-the-token-4711";
    const errors: lib.CacheError[] = [];
    const suppressed = faultyCache({ onError: (error) => void errors.push(error) }, wrong);
    expect(await suppressed.get("k", "default")).toBe("default");
    const strict = faultyCache({ suppress: false }, wrong);
    const error = await strict.set("k", 1).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    for (const failure of [errors[0], error]) {
      expect(failure).toBeInstanceOf(lib.CacheBackendError);
      const message = (failure as Error).message;
      expect(message).toMatch(/^\[isocache\] \[upstash\] the database refused the REST token/);
      expect(message).toMatch(/check the token/);
      expect(message).not.toContain(wrong);
      expect(message).not.toContain(address.token);
    }
  });

  it("recovers once the fault is gone", async () => {
    const cache = faultyCache({ suppress: false });
    await session.setFault({ kind: "hang", count: 1 });
    await expect(cache.set("k", "v")).rejects.toBeInstanceOf(lib.CacheBackendError);
    expect(await cache.set("k", "v")).toBe(true);
    expect(await cache.get("k")).toBe("v");
  });
});

// The client sends each tick's commands as an HTTP request of its own, and requests on separate
// connections can reach the server in either order. The gateway holds the first request back
// (`delay`), as a slow connection would, while later calls are made.
describe.skipIf(skipWithoutRedis)("upstash requests that arrive late", () => {
  const LATE_MS = 150;
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  it("a key's later set or delete is not overtaken by an earlier write that arrives late", async () => {
    const cache = faultyCache({ suppress: false, timeout: 2000 });
    await session.setFault({ kind: "delay", ms: LATE_MS, count: 1 });
    const first = cache.set("k", "first");
    await tick();
    await Promise.all([first, cache.set("k", "second")]);
    expect(await cache.get("k")).toBe("second");

    await session.setFault({ kind: "delay", ms: LATE_MS, count: 1 });
    const written = cache.set("gone", "value");
    await tick();
    await Promise.all([written, cache.delete("gone")]);
    expect(await cache.get("gone", null)).toBeNull();
  });

  it("a set after a tag invalidation or a clear that arrives late is kept", async () => {
    const cache = faultyCache({ suppress: false, timeout: 2000 });
    await cache.set("member", "old", { tags: ["t"] });
    await session.setFault({ kind: "delay", ms: LATE_MS, count: 1 });
    const invalidated = cache.deleteTags("t");
    await tick();
    await Promise.all([invalidated, cache.set("member", "new")]);
    expect(await cache.get("member")).toBe("new");

    await session.setFault({ kind: "delay", ms: LATE_MS, count: 1 });
    const cleared = cache.clear();
    await tick();
    await Promise.all([cleared, cache.set("after", "kept")]);
    expect(await cache.get("after")).toBe("kept");
  });

  it("other keys' calls do not wait for a late request", async () => {
    const cache = faultyCache({ suppress: false, timeout: 3000 });
    const settled: string[] = [];
    // Built and warmed first, so the one late request is the set below, not the cache's first request.
    await cache.ping();
    // The late request is answered a second late: another key's call, made after it, is answered first.
    await session.setFault({ kind: "delay", ms: 1000, count: 1 });
    const slow = cache.set("slow", 1).then(() => settled.push("late set"));
    await tick();
    await cache.set("fast", 2).then(() => settled.push("other key's set"));
    await slow;
    expect(settled).toEqual(["other key's set", "late set"]);

    // Nor for a late read of several keys: it waits for earlier writes, but holds nothing back.
    settled.length = 0;
    await session.setFault({ kind: "delay", ms: 1000, count: 1 });
    const reading = cache
      .getMany(["slow", "fast"])
      .then((values) => settled.push(`getMany ${values.length}`));
    await tick();
    await cache.set("fast", 3).then(() => settled.push("set of one of its keys"));
    await reading;
    expect(settled).toEqual(["set of one of its keys", "getMany 2"]);
  });
});
