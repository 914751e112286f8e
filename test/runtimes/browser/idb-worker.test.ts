// IndexedDB from a dedicated Web Worker in Chromium: the browser entry with idb:// runs inside
// the worker (idb-worker.ts), and the worker and this page share the origin's databases: what
// one writes the other reads, counters and locks stay atomic across them, and the worker's open
// connection never blocks the page deleting or upgrading the database.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { idb } from "../../../src/backends/idb";
import { deleteDatabase } from "./idb-target";

lib.registerScheme(idb);

type Answer = { id: number; value?: unknown; error?: { name: string; message: string } };

const worker = new Worker(new URL("./idb-worker.ts", import.meta.url), { type: "module" });
const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let asked = 0;
let workerFailure: string | undefined;
worker.onmessage = (event: MessageEvent<Answer>) => {
  const { id, value, error } = event.data;
  const pending = waiting.get(id);
  waiting.delete(id);
  if (error === undefined) pending?.resolve(value);
  else pending?.reject(Object.assign(new Error(error.message), { name: error.name }));
};
worker.onerror = (event) => {
  workerFailure = event.message || "the worker failed to load";
  for (const pending of waiting.values()) pending.reject(new Error(workerFailure));
  waiting.clear();
};

/** Runs `op` on the worker's cache over database `db`. */
function inWorker<T = unknown>(db: string, op: string, ...args: unknown[]): Promise<T> {
  if (workerFailure !== undefined) return Promise.reject(new Error(workerFailure));
  const id = asked++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ id, op, db, args });
  });
}

const run = crypto.randomUUID().slice(0, 8);
let next = 0;
let names: string[] = [];
const opened: lib.Cache[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freshDb(): string {
  const name = `isocache-w-${run}-${next++}`;
  names.push(name);
  return name;
}
/** This page's strict cache on `db`, the store the worker uses. */
function pageCache(db: string): lib.Cache {
  const cache = new lib.Cache().setup(`idb://${db}/kv`, { suppress: false });
  opened.push(cache);
  return cache;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((cache) => cache.close()));
  const used = names;
  names = [];
  for (const db of used) await inWorker(db, "close");
  await Promise.all(used.map(deleteDatabase));
});
afterAll(() => worker.terminate());

describe("idb: in a dedicated Web Worker", () => {
  it("the worker is a worker (no window) running the browser entry", async () => {
    expect(await inWorker(freshDb(), "where")).toEqual({
      window: "undefined",
      importScripts: "function",
      runtime: "browser",
    });
  });

  it("set, get, exists, delete, scan, count and clear work inside the worker", async () => {
    const db = freshDb();
    expect(await inWorker(db, "set", "a", { n: 1 })).toBe(true);
    expect(await inWorker(db, "set", "b", [1, 2])).toBe(true);
    expect(await inWorker(db, "get", "a")).toEqual({ n: 1 });
    expect(await inWorker(db, "exists", "b")).toBe(true);
    expect(((await inWorker(db, "scan", "*")) as string[]).sort()).toEqual(["a", "b"]);
    expect(await inWorker(db, "count")).toBe(2);
    expect(await inWorker(db, "delete", "a")).toBe(true);
    expect(await inWorker(db, "delete", "a")).toBe(false);
    expect(await inWorker(db, "get", "a")).toBeNull();
    await inWorker(db, "clear");
    expect(await inWorker(db, "count")).toBe(0);
    expect(await inWorker(db, "get", "b")).toBeNull();
  });

  it("a TTL ends on time inside the worker", async () => {
    const db = freshDb();
    await inWorker(db, "set", "short", "v", 150);
    const left = await inWorker<number>(db, "getExpire", "short");
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(150);
    expect(await inWorker(db, "get", "short")).toBe("v");
    await sleep(400);
    expect(await inWorker(db, "get", "short")).toBeNull();
    expect(await inWorker(db, "exists", "short")).toBe(false);
    expect(await inWorker(db, "getExpire", "short")).toBe(-2);
  });
});

describe("idb: one database seen from the page and a worker", () => {
  it("what one writes, deletes or clears, the other sees at once", async () => {
    const db = freshDb();
    const page = pageCache(db);
    await page.set("from-page", new Date(5), { ttl: "1m" });
    expect(await inWorker(db, "get", "from-page")).toEqual(new Date(5));
    expect(await inWorker<number>(db, "getExpire", "from-page")).toBeGreaterThan(55_000);
    await inWorker(db, "set", "from-worker", "w");
    expect(await page.get("from-worker")).toBe("w");
    expect(await page.delete("from-worker")).toBe(true);
    expect(await inWorker(db, "exists", "from-worker")).toBe(false);
    await inWorker(db, "clear");
    expect(await page.getKeysCount()).toBe(0);
  });

  it("incr from both loses no increment, and a lock is granted to one of them", async () => {
    const db = freshDb();
    const page = pageCache(db);
    const counts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 ? page.incr("n", 1) : inWorker<number>(db, "incr", "n", 1),
      ),
    );
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const taken = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 ? page.setLock("l", `t${i}`, "5s") : inWorker<boolean>(db, "setLock", "l", `t${i}`, 5_000),
      ),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it("the worker's open connection does not block the page deleting the database; the worker then starts afresh", async () => {
    const db = freshDb();
    await inWorker(db, "set", "k", "before");
    const deleted = deleteDatabase(db).then(() => "deleted");
    expect(await Promise.race([deleted, sleep(2_000).then(() => "blocked")])).toBe("deleted");
    expect(await inWorker(db, "get", "k")).toBeNull();
    await inWorker(db, "set", "k", "after");
    expect(await pageCache(db).get("k")).toBe("after");
  });
});
