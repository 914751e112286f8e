// What is particular to IndexedDB, on Chromium's real one: open failures (a missing store, an
// open queued behind a blocked upgrade), not blocking other tabs' upgrades, atomicity across
// connections, expiry sweeps, and records a plain idb-keyval program can read.
import { createStore, get as kvGet, set as kvSet } from "idb-keyval";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { idb, idbBackend } from "../../../src/backends/idb";
import { deleteDatabase } from "./idb-target";

lib.registerScheme(idb);

const run = crypto.randomUUID().slice(0, 8);
let next = 0;
let names: string[] = [];
const opened: { close(): Promise<unknown> }[] = [];
const raw: IDBDatabase[] = [];

function freshDb(): string {
  const name = `isocache-b-${run}-${next++}`;
  names.push(name);
  return name;
}
function cache(target: unknown, options?: Parameters<lib.Cache["setup"]>[1]): lib.Cache {
  const c = new lib.Cache().setup(target as string, options);
  opened.push(c);
  return c;
}
/** Opens `name` directly (at `version`, creating `stores` on upgrade), as another tab would. */
function openRaw(
  name: string,
  version?: number,
  stores: string[] = [],
): { request: IDBOpenDBRequest; db: Promise<IDBDatabase> } {
  const request = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
  request.onupgradeneeded = () => {
    for (const store of stores)
      if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
  };
  const db = new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => {
      raw.push(request.result);
      resolve(request.result);
    };
    request.onerror = () => reject(request.error);
  });
  return { request, db };
}
/** Closes the connection of an idb-keyval store, which never closes by itself (not even on versionchange). */
function closeKeyval(store: ReturnType<typeof createStore>): Promise<void> {
  return store("readonly", (s) => s.transaction.db.close());
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  for (const db of raw.splice(0)) db.close();
  const used = names;
  names = [];
  await Promise.all(used.map(deleteDatabase));
});

describe("idb: capabilities and records", () => {
  it("says atomic, strongly consistent, any TTL, no key limit", () => {
    expect(idbBackend().capabilities).toEqual({
      nativeTtl: true,
      minTtlMs: 0,
      maxKeyBytes: 0,
      atomic: true,
      consistency: "strong",
    });
  });

  it("stores { v, e } records through idb-keyval, and reads a bare string idb-keyval wrote", async () => {
    const db = freshDb();
    const c = cache(idbBackend({ db, store: "kv" }));
    await c.setRaw("raw", "text", { ttl: "1m" });
    const store = createStore(db, "kv");
    const record = (await kvGet("raw", store)) as { v: string; e: number };
    expect(record.v).toBe("text");
    expect(record.e).toBeGreaterThan(Date.now() + 50_000);
    await kvSet("plain", "written by idb-keyval", store);
    expect(await c.getRaw("plain")).toBe("written by idb-keyval");
    await kvSet("foreign", { not: "a record" }, store);
    expect(await c.getRaw("foreign")).toBeUndefined();
    await closeKeyval(store);
  });

  it("expired records read as missing and count sweeps them out of the store", async () => {
    const db = freshDb();
    const c = cache(idbBackend({ db, store: "kv" }));
    await c.setMany({ a: 1, b: 2 }, { ttl: 100 });
    await c.set("kept", 3);
    await sleep(300);
    expect(await c.getMany(["a", "b", "kept"], null)).toEqual([null, null, 3]);
    expect(await c.getKeysCount()).toBe(1);
    const store = createStore(db, "kv");
    expect(await kvGet("a", store)).toBeUndefined();
    await closeKeyval(store);
  });
});

describe("idb: atomic across connections (as across tabs)", () => {
  it("two backends on one database lose no increment, grant a lock once, and store exist: false once", async () => {
    const db = freshDb();
    const a = cache(idbBackend({ db, store: "kv" }));
    const b = cache(idbBackend({ db, store: "kv" }));
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).incr("n", 1, { ttl: "1h" })),
    );
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const taken = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).setLock("l", `t${i}`, "5s")),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
    const stored = await Promise.all([
      a.set("once", 1, { exist: false }),
      b.set("once", 2, { exist: false }),
    ]);
    expect(stored.filter(Boolean)).toHaveLength(1);
  });
});

describe("idb: open failures and upgrades", () => {
  it("a store missing from an existing database is a CacheBackendError, or a reported miss, and leaks no connection", async () => {
    const db = freshDb();
    (await openRaw(db, 1, ["other"]).db).close();
    const strict = cache(`idb://${db}/missing`, { suppress: false });
    const error = await strict.get("k").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(/\[isocache\] \[idb\].*object store "missing" does not exist/);
    const seen: unknown[] = [];
    const lenient = cache(`idb://${db}/missing`, { onError: (e) => seen.push(e) });
    expect(await lenient.get("k", "miss")).toBe("miss");
    expect(await lenient.set("k", 1)).toBe(false);
    expect(seen).toHaveLength(2);
    // No connection was left open: an upgrade elsewhere is not blocked.
    const upgrade = openRaw(db, 2, ["missing"]);
    let blocked = false;
    upgrade.request.onblocked = () => {
      blocked = true;
    };
    (await upgrade.db).close();
    expect(blocked).toBe(false);
    expect(await lenient.set("k", 1)).toBe(true); // the store exists now
  });

  it("an open queued behind another tab's blocked upgrade fails within openTimeout, then recovers", async () => {
    const db = freshDb();
    const holder = await openRaw(db, 1, ["kv"]).db; // an old tab that ignores versionchange
    const upgrade = openRaw(db, 2, ["kv"]); // a new tab's upgrade, blocked by the holder
    const wasBlocked = new Promise<void>((resolve) => {
      upgrade.request.onblocked = () => resolve();
    });
    await wasBlocked;
    const c = cache(`idb://${db}/kv?openTimeout=300`, { suppress: false });
    const started = Date.now();
    const error = await c.get("k").catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(/took longer than 300 ms.*pending version upgrade/);
    holder.close(); // the old tab goes away: the upgrade, then our open, proceed
    (await upgrade.db).close();
    expect(await c.set("k", "after")).toBe(true);
    expect(await c.get("k")).toBe("after");
  });

  it("an open cache does not block another tab's upgrade, and keeps working after it", async () => {
    const db = freshDb();
    const c = cache(`idb://${db}/kv`);
    await c.set("k", "before");
    const upgrade = openRaw(db, 2, ["kv", "added"]);
    let blocked = false;
    upgrade.request.onblocked = () => {
      blocked = true;
    };
    const upgraded = await upgrade.db;
    expect(blocked).toBe(false);
    expect([...upgraded.objectStoreNames].sort()).toEqual(["added", "kv"]);
    upgraded.close();
    expect(await c.get("k")).toBe("before");
    expect(await c.incr("n")).toBe(1);
  });
});
