// What only the unstorage backend promises: arbitrary keys survive unstorage's key normalisation
// and come back exactly from scan, values survive getItem's destr parsing, records stay under
// their base, lock TTLs hold without driver TTLs, and failures are typed errors.
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import memoryDriver from "unstorage/drivers/memory";
import { afterAll, describe, expect, it } from "vitest";
import { Cache, CacheBackendError, CacheConfigError } from "../../runtimes/node";
import { unstorageBackend } from "../../src/backends/unstorage";
import { tempDirs } from "./fs-temp";

const dirs = tempDirs("unstorage-unit");
afterAll(() => dirs.remove());

// Each of these is changed or refused by unstorage's normalizeKey or its fs driver when used raw.
const KEYS = [
  "a/b",
  "a\\b",
  "a:b",
  ":lead",
  "trail:",
  "a::b",
  "q?x=1",
  "..",
  "../up",
  "x/../y",
  "UPPER",
  "upper",
  "é 🙂",
  "node_modules",
];

describe.each([
  ["memory", () => createStorage({ driver: memoryDriver() })],
  ["fs", () => createStorage({ driver: fsDriver({ base: dirs.next() }) })],
])("unstorage backend on the %s driver", (_driver, storage) => {
  it("keys that unstorage would normalise round-trip exactly through get and scan", async () => {
    const backend = unstorageBackend(storage());
    for (const [index, key] of KEYS.entries()) await backend.set(key, `v${index}`);
    for (const [index, key] of KEYS.entries()) expect(await backend.get(key), key).toBe(`v${index}`);
    const scanned: string[] = [];
    for await (const key of backend.scan("*")) scanned.push(key);
    expect(scanned.sort()).toEqual([...KEYS].sort());
    expect(await backend.count()).toBe(KEYS.length);
    const long = "k".repeat(1_000);
    await backend.set(long, "long");
    expect(await backend.get(long)).toBe("long");
    expect(await backend.scan("k*")[Symbol.asyncIterator]().next()).toEqual({ value: long, done: false });
  });

  it("stored text comes back as text, not as what destr would parse it into", async () => {
    const backend = unstorageBackend(storage());
    for (const text of [
      "42",
      "true",
      "null",
      '{"a":1}',
      '"quoted"',
      " padded ",
      "base64:AAAA",
      "line\nbreak",
    ]) {
      await backend.set("k", text);
      expect(await backend.get("k")).toBe(text);
    }
  });

  it("lives under its base: clear and count leave the storage's other items alone", async () => {
    const shared = storage();
    await shared.setItem("app:setting", "keep");
    const backend = unstorageBackend(shared, { base: "cache:v1" });
    await backend.set("k", "v");
    expect(await shared.getKeys("cache:v1")).toEqual(["cache:v1:k"]);
    expect(await backend.count()).toBe(1);
    await backend.clear();
    expect(await backend.count()).toBe(0);
    expect(await shared.getItem("app:setting")).toBe("keep");
  });

  it("a lock TTL handed to the backend expires although the driver expires nothing", async () => {
    let now = 1_000;
    const backend = unstorageBackend(storage(), { clock: { now: () => now } });
    expect(await backend.setLock("lock", "t1", 500)).toBe(true);
    expect(await backend.setLock("lock", "t2", 500)).toBe(false);
    expect(await backend.getExpire("lock")).toBe(500);
    now += 500;
    expect(await backend.setLock("lock", "t2", 500)).toBe(true);
    expect(await backend.unlock("lock", "t1")).toBe(false);
    expect(await backend.unlock("lock", "t2")).toBe(true);
  });

  it("an expired key is gone from scan, getMatch, deleteMatch and exists, as on every other backend", async () => {
    let now = 1_000;
    const clock = { now: () => now };
    const cache = new Cache({ clock }).setup(unstorageBackend(storage(), { clock }), { suppress: false });
    await cache.set("user:1", "short", { ttl: 500 });
    await cache.set("user:2", "long");
    now += 500;
    const scanned: string[] = [];
    for await (const key of cache.scan("user:*")) scanned.push(key);
    expect(scanned).toEqual(["user:2"]);
    const matched: [string, unknown][] = [];
    for await (const pair of cache.getMatch("user:*")) matched.push(pair);
    expect(matched).toEqual([["user:2", "long"]]);
    expect(await cache.exists("user:1")).toBe(false);
    expect(await cache.deleteMatch("user:*")).toBe(1);
  });

  it("concurrent increments on one backend object lose nothing", async () => {
    const backend = unstorageBackend(storage());
    await Promise.all(Array.from({ length: 50 }, () => backend.incr("n", 1)));
    expect(await backend.get("n")).toBe("50");
  });
});

describe("unstorage backend: errors", () => {
  it("rejects what is not a Storage and a malformed base with CacheConfigError", () => {
    expect(() => unstorageBackend({} as never)).toThrow(CacheConfigError);
    expect(() => unstorageBackend(createStorage(), { base: "a/b" })).toThrow(CacheConfigError);
    expect(() => unstorageBackend(createStorage(), { base: "" })).toThrow(CacheConfigError);
  });

  it("an fs driver that would hide every record (default ignore, a node_modules or .git path) is CacheConfigError", () => {
    for (const [base, options] of [
      [`${dirs.root}/node_modules/.cache/app`, {}],
      [`${dirs.root}/repo/.git/cache`, {}],
      [dirs.next(), { base: "app:node_modules" }],
    ] as const) {
      const storage = createStorage({ driver: fsDriver({ base }) });
      expect(() => unstorageBackend(storage, options), `${base} ${JSON.stringify(options)}`).toThrow(
        /unstorage's fs driver ignores node_modules and \.git paths.*pass fsDriver\(\{ base, ignore: \[\] \}\)/,
      );
    }
    const ignoring = createStorage({
      driver: fsDriver({ base: `${dirs.root}/node_modules/.cache/app`, ignore: [] }),
    });
    expect(() => unstorageBackend(ignoring)).not.toThrow();
    const beside = createStorage({ driver: fsDriver({ base: `${dirs.root}/node_modules_old` }) });
    expect(() => unstorageBackend(beside)).not.toThrow();
  });

  it("a failing driver gives CacheBackendError, or a miss reported to onError", async () => {
    const broken = createStorage({
      driver: {
        name: "broken",
        hasItem: () => Promise.reject(new Error("connection refused")),
        getItem: () => Promise.reject(new Error("connection refused")),
        getKeys: () => Promise.reject(new Error("connection refused")),
      },
    });
    const loud = new Cache().setup(unstorageBackend(broken), { suppress: false });
    const error = await loud.get("k").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(
      /^\[isocache\] \[unstorage\] get failed \(connection refused\): /,
    );
    const reported: unknown[] = [];
    const quiet = new Cache().setup(unstorageBackend(broken), {
      onError: (failure) => reported.push(failure),
    });
    expect(await quiet.get("k", "fallback")).toBe("fallback");
    expect(reported[0]).toBeInstanceOf(CacheBackendError);
  });
});
