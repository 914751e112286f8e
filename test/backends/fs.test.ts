// What only the fs backend promises: file names that keep every key inside the directory, the
// directory made on the first command, errors that say what to do, stale lock files broken,
// expiry on an injected clock, and file:// URL checks.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Cache, CacheBackendError, CacheConfigError } from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { fsFailure } from "../../src/backends/fs-errors";
import { fileUrl, tempDirs } from "./fs-temp";

const dirs = tempDirs("fs-unit");
afterEach(() => dirs.cleanup());
afterAll(() => dirs.remove());

const ESCAPES = [
  "../up",
  "../../etc/passwd",
  "/etc/passwd",
  "a/b",
  "a\\b",
  "nul\0byte",
  ".",
  "..",
  "~",
  "é".repeat(400),
];

describe("fs backend: file names", () => {
  it("keeps every key, hostile or very long, in one flat directory and gives it back exactly", async () => {
    const dir = dirs.next();
    const backend = fsBackend({ dir });
    await backend.init();
    const keys = [
      ...ESCAPES,
      "x".repeat(10_000),
      "\ud800 lone surrogate",
      "\ufffd lone surrogate",
      "UPPER",
      "upper",
    ];
    for (const [index, key] of keys.entries()) expect(await backend.set(key, `v${index}`)).toBe(true);
    for (const [index, key] of keys.entries()) expect(await backend.get(key)).toBe(`v${index}`);
    const scanned: string[] = [];
    for await (const key of backend.scan("*")) scanned.push(key);
    expect(scanned.sort()).toEqual([...keys].sort());
    // Nothing was written beside the directory, and nothing inside it but plain files.
    expect(readdirSync(dirs.root)).toEqual(["store-1"]);
    const names = readdirSync(dir);
    expect(names).toHaveLength(keys.length);
    for (const name of names) {
      expect(statSync(join(dir, name)).isFile()).toBe(true);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
      expect(name).toMatch(/^(?:[a-z0-9_~-]|%[0-9A-F]{2})+\.isc$/);
    }
    expect(await backend.count()).toBe(keys.length);
  });

  it("stores a readable header and the value, so a file can be inspected by hand", async () => {
    const dir = dirs.next();
    const backend = fsBackend({ dir, clock: { now: () => 1_000 } });
    await backend.init();
    await backend.set("user:1", "hello", { ttl: 500 });
    expect(readFileSync(join(dir, "user%3A1.isc"), "utf8")).toBe("i1 1500 -\nhello");
  });
});

describe("fs backend: directory and errors", () => {
  it("creates the directory, with its parents, on the first command and not before", async () => {
    const dir = join(dirs.next(), "deeper", "still");
    const cache = new Cache().setup(fileUrl(dir));
    expect(existsSync(dir)).toBe(false);
    await cache.set("k", 1);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(await cache.get("k")).toBe(1);
    await cache.close();
  });

  it("recreates a directory removed while in use", async () => {
    const dir = dirs.next();
    const cache = new Cache().setup(fileUrl(dir), { suppress: false });
    await cache.set("a", 1);
    await dirs.cleanup();
    expect(await cache.get("a", "gone")).toBe("gone");
    expect(await cache.set("b", 2)).toBe(true);
    expect(await cache.get("b")).toBe(2);
    await cache.close();
  });

  it("a path that is a file gives CacheBackendError saying to use a directory", async () => {
    const file = join(dirs.root, "plain-file");
    writeFileSync(file, "not a directory");
    const cache = new Cache().setup(fileUrl(file), { suppress: false });
    const error = await cache.set("k", 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(
      /^\[isocache\] \[fs\] .*plain-file is a file, not a directory: /,
    );
    const below = new Cache().setup(fileUrl(join(file, "sub")), { suppress: false });
    const nested = await below.get("k").catch((caught: unknown) => caught);
    expect(nested).toBeInstanceOf(CacheBackendError);
    expect((nested as Error).message).toMatch(/ENOTDIR\): make every part of .* a directory$/);
    // suppressed (the default), the same failure is reported and the read is a miss
    const reported: unknown[] = [];
    const quiet = new Cache().setup(fileUrl(file), { onError: (failure) => reported.push(failure) });
    expect(await quiet.get("k", "fallback")).toBe("fallback");
    expect(reported[0]).toBeInstanceOf(CacheBackendError);
    await Promise.all([cache.close(), below.close(), quiet.close()]);
  });

  it("turns a real ENOSPC and EACCES into CacheBackendError with a remedy", async () => {
    const full = await writeFile("/dev/full", "x").catch((caught: unknown) => caught);
    const error = fsFailure(full, "/var/tmp/app-cache", "set");
    expect(error).toBeInstanceOf(CacheBackendError);
    expect(error.message).toBe(
      "[isocache] [fs] set in /var/tmp/app-cache failed because no space left on the device (ENOSPC): free disk space where /var/tmp/app-cache lives, or clear the cache",
    );
    // Root ignores permission bits, so EACCES is taken from a real error object of the same shape.
    const denied = Object.assign(new Error("EACCES: permission denied, open"), { code: "EACCES" });
    expect(fsFailure(denied, "/srv/c", "get").message).toMatch(
      /permission denied \(EACCES\): give this process/,
    );
  });
});

describe("fs backend: locks, expiry, URLs", () => {
  it("breaks a lock file left by a crashed process once it is stale, and waits for a fresh one", async () => {
    const dir = dirs.next();
    const backend = fsBackend({ dir, staleLockMs: 1_000 });
    await backend.init();
    const lock = join(dir, "k.isc.lock");
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 5_000);
    utimesSync(lock, old, old);
    expect(await backend.incr("k", 1)).toBe(1);
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, "");
    const started = Date.now();
    const pending = backend.incr("k", 1);
    setTimeout(() => rmSync(lock), 150);
    expect(await pending).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("expires on the injected clock: reads miss, exists is false, the next write replaces the file", async () => {
    let now = 10_000;
    const dir = dirs.next();
    const backend = fsBackend({ dir, clock: { now: () => now } });
    await backend.init();
    await backend.set("k", "v", { ttl: 1_000 });
    expect(await backend.getExpire("k")).toBe(1_000);
    now += 1_000;
    expect(await backend.get("k")).toBeUndefined();
    expect(await backend.exists("k")).toBe(false);
    expect(await backend.getExpire("k")).toBe(-2);
    expect(await backend.set("k", "w", { exist: false })).toBe(true);
    expect(await backend.getExpire("k")).toBe(-1);
    expect(await backend.expire("k", 0)).toBe(true);
    expect(existsSync(join(dir, "k.isc"))).toBe(false);
  });

  it("count leaves out expired records still on disk, as scan does", async () => {
    let now = 10_000;
    const dir = dirs.next();
    const backend = fsBackend({ dir, clock: { now: () => now } });
    await backend.init();
    await backend.set("short", "v", { ttl: 1_000 });
    await backend.set("long", "v", { ttl: 5_000 });
    await backend.set("x".repeat(500), "hashed name", { ttl: 1_000 });
    expect(await backend.count()).toBe(3);
    now += 1_000;
    expect(readdirSync(dir)).toHaveLength(3);
    expect(await backend.count()).toBe(1);
  });

  it("file:// URLs: a host or relative path, the root, or an unknown parameter is CacheConfigError", () => {
    for (const url of ["file://relative/dir", "file://./cache", "file:///", "file:///tmp/c?size=1"]) {
      expect(() => new Cache().setup(url), url).toThrow(CacheConfigError);
    }
    expect(() => new Cache().setup("file://./cache")).toThrow(/three slashes/);
    expect(() => new Cache().setup("file:///tmp/c?staleLockMs=2000")).not.toThrow();
    expect(() => new Cache().setup("file://localhost/tmp/c")).not.toThrow();
  });
});
