// `lockUnlessStored` of both Redis transports, called on the backends against the real server
// (a stored value comes back with its TTL and no lock is taken; else the lock is taken once),
// through tiers (a value found is copied up), and what `lock: true` then costs over HTTP.
import { afterAll, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { redisBackend } from "../../src/backends/redis";
import { upstashBackend } from "../../src/backends/upstash";
import type { Backend } from "../../src/core/types";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace, openSession, upstashUrl } from "../support/upstash-target";
import { dropPrefixes, freshPrefix } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const prefixes: string[] = [];
const opened: { close?(): Promise<void> }[] = [];

type Locking = Required<Pick<Backend, "lockUnlessStored">> & Backend;

const makers: [string, (prefix: string) => Locking][] = [
  ["redis", (keyPrefix) => redisBackend({ url: redisUrl, keyPrefix }) as Locking],
  ["upstash", (namespace) => upstashBackend({ ...address, namespace }) as Locking],
];

async function open(make: (prefix: string) => Locking): Promise<Locking> {
  const prefix = freshPrefix("lock-unless-stored");
  prefixes.push(prefix);
  const backend = make(prefix);
  opened.push(backend);
  await backend.init?.();
  return backend;
}

describe.skipIf(skipWithoutRedis)("lockUnlessStored", () => {
  afterAll(async () => {
    await Promise.all(opened.map((backend) => backend.close?.()));
    await dropPrefixes(redisUrl, prefixes);
  });

  for (const [name, make] of makers) {
    it(`${name}: returns a stored value with its TTL and takes no lock; else takes the lock once`, async () => {
      const backend = await open(make);
      const text = 'ünï ✓ {"a":[1,2]} \u0000 end';
      await backend.set("k", text, { ttl: 60_000 });
      const found = await backend.lockUnlessStored("lock:k", "k", "t1", 5000);
      expect(found).toMatchObject({ value: text });
      expect(typeof found === "object" && found.ttl > 55_000 && found.ttl <= 60_000).toBe(true);
      expect(await backend.exists("lock:k")).toBe(false);
      await backend.set("plain", "v");
      expect(await backend.lockUnlessStored("lock:p", "plain", "t1", 5000)).toEqual({ value: "v", ttl: -1 });

      expect(await backend.lockUnlessStored("lock:m", "missing", "t1", 5000)).toBe(true);
      expect(await backend.get("lock:m")).toBe("t1");
      const left = await backend.getExpire("lock:m");
      expect(left).toBeGreaterThan(4000);
      expect(left).toBeLessThanOrEqual(5000);
      expect(await backend.lockUnlessStored("lock:m", "missing", "t2", 5000)).toBe(false);
      expect(await backend.get("lock:m")).toBe("t1");
      expect(await backend.unlock?.("lock:m", "t1")).toBe(true);
      expect(await backend.lockUnlessStored("lock:m", "missing", "t2", 5000)).toBe(true);
    });
  }

  it("tiers: a value found below is copied into the memory tier with the TTL it has left", async () => {
    const prefix = freshPrefix("lock-unless-stored-tiers");
    prefixes.push(prefix);
    const url = `${redisUrl}?keyPrefix=${encodeURIComponent(prefix)}`;
    const writer = new lib.Cache().setup(url);
    const tiered = new lib.Cache().setup(["mem://", url]);
    opened.push(writer, tiered);
    await writer.set("k", { n: 1 }, { ttl: "1m" });
    const got = await tiered.setLockUnlessStored("__isocache__:lock:k", "k", "t", 5000, "test");
    expect(got).toEqual({ value: { n: 1 } });
    const memory = tiered.backendFor("k") as unknown as { tiers: Backend[] };
    const copy = await memory.tiers[0]?.getExpire("k");
    expect(copy).toBeGreaterThan(55_000);
    expect(await tiered.isLocked("__isocache__:lock:k")).toBe(false);
    expect(await tiered.setLockUnlessStored("__isocache__:lock:x", "x", "t", 5000, "test")).toBe(true);
    expect(await tiered.isLocked("__isocache__:lock:x")).toBe(true);
  });

  it("lock: true over an unreadable value under the key loads at once instead of waiting for a lock", async () => {
    const prefix = freshPrefix("lock-unless-stored-unreadable");
    prefixes.push(prefix);
    const errors: string[] = [];
    const cache = new lib.Cache().setup(`${redisUrl}?keyPrefix=${encodeURIComponent(prefix)}`, {
      onError: (error) => errors.push(error.message),
    });
    opened.push(cache);
    await cache.setRaw("k", "\u0001not a record");
    const load = cache.cached({ ttl: "1m", key: "{0}", lock: true })(async function load(id: string) {
      return `loaded ${id}`;
    });
    const started = Date.now();
    expect(await load("k")).toBe("loaded k");
    expect(Date.now() - started).toBeLessThan(5000); // not the 10 s lock wait
    expect(errors.length).toBeGreaterThan(0);
    expect(await cache.get("k")).toBe("loaded k");
  });

  it("upstash: a lock: true miss costs 4 requests (read, lock, store, unlock), a hit 1", async () => {
    const session = await openSession(address);
    const url = upstashUrl({ url: address.url, token: session.token }, freshNamespace("lock-economy"));
    const cache = new lib.Cache().setup(url);
    opened.push(cache);
    let runs = 0;
    const load = cache.cached({ ttl: "1m", key: "user:{0}", lock: true })(async function user(id: string) {
      runs++;
      return { id };
    });
    expect(await load("1")).toEqual({ id: "1" });
    expect((await session.stats()).requests).toBe(4);
    expect(await load("1")).toEqual({ id: "1" });
    expect((await session.stats()).requests).toBe(5);
    expect(runs).toBe(1);
    await cache.clear();
  });
});
