// The fs backend shares its directory with whatever else is there: entries it did not create
// (directories and files with key-like names, a user's own `.stale` or temp-looking files) are
// neither listed, counted nor removed, and no command fails because of them.
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Cache, CacheBackendError } from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { fileUrl, tempDirs } from "./fs-temp";

const dirs = tempDirs("fs-foreign");
afterEach(() => dirs.cleanup());
afterAll(() => dirs.remove());

/** A directory holding two records and a directory named like the key file of "a:dir". */
async function seeded() {
  const dir = dirs.next();
  const cache = new Cache().setup(fileUrl(dir), { suppress: false });
  await cache.set("a:1", 1);
  await cache.set("a:2", 2);
  // "a:dir" is stored as a%3Adir.isc: a directory of that name is someone else's.
  mkdirSync(join(dir, "a%3Adir.isc"));
  writeFileSync(join(dir, "a%3Adir.isc", "inside.txt"), "user data");
  return { dir, cache };
}

describe("fs backend: entries it did not create", () => {
  it("scan, getMatch and getKeysCount skip a directory named like a key file", async () => {
    const { cache } = await seeded();
    const keys: string[] = [];
    for await (const key of cache.scan("a:*")) keys.push(key);
    expect(keys.sort()).toEqual(["a:1", "a:2"]);
    const entries: [string, unknown][] = [];
    for await (const entry of cache.getMatch("a:*")) entries.push(entry);
    expect(entries.sort()).toEqual([
      ["a:1", 1],
      ["a:2", 2],
    ]);
    expect(await cache.getKeysCount()).toBe(2);
    await cache.close();
  });

  it("deleteMatch and clear delete the records and leave the directory and its files", async () => {
    const { dir, cache } = await seeded();
    expect(await cache.deleteMatch("a:*")).toBe(2);
    await cache.set("a:3", 3);
    await cache.clear();
    expect(readdirSync(dir)).toEqual(["a%3Adir.isc"]);
    expect(readFileSync(join(dir, "a%3Adir.isc", "inside.txt"), "utf8")).toBe("user data");
    await cache.close();
  });

  it("the key whose file name a directory holds reads as missing; writing it says what to do", async () => {
    const { dir, cache } = await seeded();
    expect(await cache.get("a:dir", "none")).toBe("none");
    expect(await cache.exists("a:dir")).toBe(false);
    expect(await cache.delete("a:dir")).toBe(false);
    const error = await cache.set("a:dir", 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(/a directory .*a%3Adir\.isc.*: remove it or move it out of /);
    expect(readdirSync(join(dir, "a%3Adir.isc"))).toEqual(["inside.txt"]);
    await cache.close();
  });

  it("clear leaves files that are named like key files but hold no record of this backend", async () => {
    const dir = dirs.next();
    const backend = fsBackend({ dir });
    await backend.init();
    await backend.set("k", "v");
    writeFileSync(join(dir, "notes.isc"), "the user's own notes");
    writeFileSync(join(dir, "empty.isc"), "");
    await backend.clear();
    expect(readdirSync(dir).sort()).toEqual(["notes.isc"]);
  });

  it("clear removes only its own leftovers: old temporary files and lock tombstones, not any .stale file", async () => {
    const dir = dirs.next();
    const backend = fsBackend({ dir });
    await backend.init();
    const names = [
      ".isc-tmp-0123456789abcdef",
      "k.isc.lock.0123456789abcdef.stale",
      "backup.stale",
      ".isc-tmp-mine",
      "k.isc.lock",
    ];
    const old = new Date(Date.now() - 120_000);
    for (const name of names) {
      writeFileSync(join(dir, name), "x");
      utimesSync(join(dir, name), old, old);
    }
    await backend.clear();
    expect(readdirSync(dir).sort()).toEqual([".isc-tmp-mine", "backup.stale", "k.isc.lock"]);
  });
});
