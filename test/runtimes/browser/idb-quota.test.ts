// A real QuotaExceededError from Chromium's IndexedDB: the origin's quota is shrunk through the
// DevTools protocol, then a value larger than the quota goes through the cache.
//
// Chromium's IndexedDB caches the space the quota manager granted a bucket and lets it decay
// over 30 s, so a shrink right after earlier writes (an earlier test file of this session) would
// not bite yet. Clearing the origin's IndexedDB first drops that bucket, and the next write asks
// the quota manager afresh. Both the clear and the override are per browser context, and a
// vitest session runs its files one after another, so no other test file sees either.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cdp } from "vitest/browser";
import * as lib from "../../../runtimes/browser";
import { idb } from "../../../src/backends/idb";
import { deleteDatabase } from "./idb-target";

lib.registerScheme(idb);

const QUOTA = 1 << 20;
const BIG = 4 << 20; // characters of a value well over the quota

const run = crypto.randomUUID().slice(0, 8);
let next = 0;
let names: string[] = [];
const opened: lib.Cache[] = [];

function freshCache(options?: Parameters<lib.Cache["setup"]>[1]): lib.Cache {
  const db = `isocache-q-${run}-${next++}`;
  names.push(db);
  const c = new lib.Cache().setup(`idb://${db}/kv`, options);
  opened.push(c);
  return c;
}
/** ASCII text no storage layer compresses below its length. */
function incompressible(chars: number): string {
  const bytes = new Uint8Array(chars);
  for (let at = 0; at < chars; at += 65_536) crypto.getRandomValues(bytes.subarray(at, at + 65_536));
  for (let at = 0; at < chars; at++) bytes[at] = 48 + ((bytes[at] as number) % 64);
  return new TextDecoder("latin1").decode(bytes);
}
/** Sets the origin's quota to `quotaSize` bytes; without it, back to the browser's own. */
function overrideQuota(quotaSize?: number): Promise<unknown> {
  const origin = location.origin;
  return cdp().send(
    "Storage.overrideQuotaForOrigin",
    quotaSize === undefined ? { origin } : { origin, quotaSize },
  );
}
function usageAndQuota(): Promise<{ usage: number; quota: number; overrideActive: boolean }> {
  return cdp().send("Storage.getUsageAndQuota", { origin: location.origin });
}

beforeEach(async () => {
  await cdp().send("Storage.clearDataForOrigin", { origin: location.origin, storageTypes: "indexeddb" });
  await overrideQuota(QUOTA);
  expect(await usageAndQuota()).toMatchObject({ quota: QUOTA, overrideActive: true });
});
afterEach(async () => {
  await overrideQuota();
  await Promise.all(opened.splice(0).map((c) => c.close()));
  const used = names;
  names = [];
  await Promise.all(used.map(deleteDatabase));
});

describe("idb: the origin's storage quota used up", () => {
  it("with suppress, set is a reported no-op (CacheBackendError naming the quota) and reads keep working", async () => {
    const seen: { error: unknown; command: string }[] = [];
    const c = freshCache({ onError: (error, call) => seen.push({ error, command: call.command }) });
    expect(await c.set("small", "kept")).toBe(true);
    expect(await c.set("big", incompressible(BIG))).toBe(false);
    expect(seen).toHaveLength(1);
    const [{ error, command }] = seen as [{ error: Error; command: string }];
    expect(command).toBe("set");
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect(error.message).toMatch(
      /^\[isocache\] \[idb\] set on IndexedDB database "isocache-q-.*", object store "kv" failed: the origin's storage quota is used up: free space/,
    );
    expect((error.cause as DOMException).name).toBe("QuotaExceededError");
    expect(await c.get("big", "miss")).toBe("miss");
    expect(await c.get("small")).toBe("kept");
    // Chromium may go on counting the refused value's blob file as usage long after the
    // transaction aborted (seconds, sometimes more), refusing every write meanwhile; room is made
    // beyond it, so what is checked is the cache: once there is space, a write that fits succeeds.
    const { usage } = await usageAndQuota();
    await overrideQuota(usage + QUOTA);
    expect(await c.set("small2", "fits")).toBe(true);
    expect(await c.get("small2")).toBe("fits");
    expect(seen).toHaveLength(1);
  });

  it("without suppress, set and setMany reject with CacheBackendError, write nothing; with the quota back they succeed", async () => {
    const c = freshCache({ suppress: false });
    expect(await c.set("small", "kept")).toBe(true);
    const value = incompressible(BIG);
    const rejection = (pending: Promise<unknown>) =>
      pending.then(
        () => undefined,
        (caught: unknown) => caught,
      );
    const error = await rejection(c.set("big", value));
    expect(error).toBeInstanceOf(lib.CacheBackendError);
    expect((error as Error).message).toMatch(/\] set on .* storage quota is used up: /);
    const many = await rejection(
      c.setMany([
        ["a", "one"],
        ["big", value],
      ]),
    );
    expect(many).toBeInstanceOf(lib.CacheBackendError);
    expect((many as Error).message).toMatch(/\] setMany on .* storage quota is used up: /);
    expect(await c.getMany(["small", "a", "big"])).toEqual(["kept", undefined, undefined]);
    await overrideQuota();
    expect(await c.set("big", value)).toBe(true);
    expect(((await c.get("big")) as string).length).toBe(BIG);
  });
});
