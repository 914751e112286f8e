// What the fs backend does with a regular file at a key's file name that it did not write (the
// user's, in a directory shared with the cache), on each runtime's own node:fs: no write replaces
// it, every write that would says what to do, and reads, scans and counts look at its first bytes
// only. Text the backend did write but that is cut short or corrupt stays the backend's own.
import { readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type * as NodeEntry from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { fileUrl, tempDirs } from "./fs-temp";

/** Registers the tests with `lib`, the runtime entry under test, for the Cache and error classes. */
export function fsForeignSuite(
  lib: Pick<typeof NodeEntry, "Cache" | "CacheBackendError">,
  label: string,
): void {
  const { Cache, CacheBackendError } = lib;
  const dirs = tempDirs(`fs-foreign-${label}`);
  afterEach(() => dirs.cleanup());
  afterAll(() => dirs.remove());

  const NOTES = "the user's own notes";
  const REFUSED =
    /a file the cache did not write stands at notes\.isc, .*: move it out of .*, or point the cache at a directory of its own/;

  /** A backend over a fresh directory holding the user's `notes.isc`, the file of the key "notes". */
  async function withNotes() {
    const dir = dirs.next();
    const backend = fsBackend({ dir });
    await backend.init();
    writeFileSync(join(dir, "notes.isc"), NOTES);
    return { dir, backend };
  }

  async function refused(write: Promise<unknown>): Promise<void> {
    const error = await write.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(REFUSED);
  }

  describe("fs backend: a user's file at a key's file name", () => {
    it("set, incr, setLock and set with exist: false refuse to replace it, saying what to do", async () => {
      const { dir, backend } = await withNotes();
      await refused(backend.set("notes", "v"));
      await refused(backend.set("notes", "v", { ttl: 60_000 }));
      await refused(backend.set("notes", "v", { exist: false }));
      await refused(backend.incr("notes", 1));
      await refused(backend.incr("notes", 1, 60_000));
      await refused(backend.setLock("notes", "token", 60_000));
      // Neither the file nor a temporary file of the refused writes is left changed or behind.
      expect(readdirSync(dir)).toEqual(["notes.isc"]);
      expect(readFileSync(join(dir, "notes.isc"), "utf8")).toBe(NOTES);
      expect(await backend.set("other", "v")).toBe(true);
    });

    it("writes that would not replace it keep answering as for a missing key", async () => {
      const { dir, backend } = await withNotes();
      expect(await backend.set("notes", "v", { exist: true })).toBe(false);
      expect(await backend.expire("notes", 60_000)).toBe(false);
      expect(await backend.unlock("notes", NOTES)).toBe(false);
      expect(await backend.delete("notes")).toBe(false);
      expect(await backend.get("notes")).toBeUndefined();
      expect(readFileSync(join(dir, "notes.isc"), "utf8")).toBe(NOTES);
    });

    it("through the Cache, set rejects with CacheBackendError and the file stays", async () => {
      const dir = dirs.next();
      const cache = new Cache().setup(fileUrl(dir), { suppress: false });
      await cache.set("warm", 1);
      writeFileSync(join(dir, "notes.isc"), NOTES);
      const error = await cache.set("notes", { a: 1 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CacheBackendError);
      expect((error as Error).message).toMatch(REFUSED);
      expect(readFileSync(join(dir, "notes.isc"), "utf8")).toBe(NOTES);
      await cache.close();
    });

    it("a file of its own cut short or corrupt is the backend's: set and incr replace it, clear removes it", async () => {
      const dir = dirs.next();
      const backend = fsBackend({ dir });
      await backend.init();
      // Empty (a rename that outran its data at a power loss), its header cut short, or corrupt.
      const texts = ["", "i", "i1", "i1 ", "i1 17", "i1 17 -", "i1 x y\nv", "i1 - \nv"];
      const keys = texts.map((_, index) => `k${index}`);
      for (const [index, text] of texts.entries()) writeFileSync(join(dir, `${keys[index]}.isc`), text);
      await backend.set("live", "v");
      for (const key of keys) expect(await backend.get(key), key).toBeUndefined();
      expect(await backend.count()).toBe(1);
      await backend.clear();
      expect(readdirSync(dir)).toEqual([]);
      for (const [index, text] of texts.entries()) writeFileSync(join(dir, `${keys[index]}.isc`), text);
      for (const key of keys.slice(0, 4)) expect(await backend.set(key, "v"), key).toBe(true);
      for (const key of keys.slice(4)) expect(await backend.incr(key, 2), key).toBe(2);
      for (const key of keys.slice(0, 4)) expect(await backend.get(key), key).toBe("v");
      for (const key of keys.slice(4)) expect(await backend.get(key), key).toBe("2");
    });

    it("count, scan, clear and set read only the first bytes of it: a 3 GiB one is skipped, not loaded", async () => {
      const { dir, backend } = await withNotes();
      await backend.set("a", "1");
      // Sparse, so it takes no disk; Node refuses to read a file over 2 GiB whole.
      truncateSync(join(dir, "notes.isc"), 3 * 2 ** 30);
      expect(await backend.count()).toBe(1);
      const keys: string[] = [];
      for await (const key of backend.scan("*")) keys.push(key);
      expect(keys).toEqual(["a"]);
      expect(await backend.exists("notes")).toBe(false);
      expect(await backend.getExpire("notes")).toBe(-2);
      await refused(backend.set("notes", "v"));
      await backend.clear();
      expect(readdirSync(dir)).toEqual(["notes.isc"]);
    });
  });
}
