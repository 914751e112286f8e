// What the fs backend promises about the directory it is given, on each runtime's own node:fs
// (their errors for a directory where a file was expected differ): it shares the directory with
// whatever else is there, never listing, counting or removing entries it did not create (a
// directory or file named like a key file, a user's own `.stale` or temp-looking files), and no
// command fails because of them; and it refuses the filesystem root and the home directory.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type * as NodeEntry from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { fileUrl, tempDirs } from "./fs-temp";

/** Registers the tests with `lib`, the runtime entry under test, for the Cache and error classes. */
export function fsSafetySuite(
  lib: Pick<typeof NodeEntry, "Cache" | "CacheBackendError" | "CacheConfigError">,
  label: string,
): void {
  const { Cache, CacheBackendError, CacheConfigError } = lib;
  const dirs = tempDirs(`fs-safety-${label}`);
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

    it("delete, and a write that expires at once, leave an empty directory and a user's file alone", async () => {
      const dir = dirs.next();
      const backend = fsBackend({ dir });
      await backend.init();
      // Deno's unlink removes an empty directory where Node's and Bun's fail.
      mkdirSync(join(dir, "empty.isc"));
      writeFileSync(join(dir, "notes.isc"), "the user's own notes");
      for (const key of ["empty", "notes"]) {
        expect(await backend.delete(key), key).toBe(false);
        expect(await backend.set(key, "v", { ttl: 0 }), key).toBe(true);
        expect(await backend.get(key), key).toBeUndefined();
      }
      expect(readdirSync(dir).sort()).toEqual(["empty.isc", "notes.isc"]);
      expect(readFileSync(join(dir, "notes.isc"), "utf8")).toBe("the user's own notes");
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

    it("count agrees with scan and clear: a user's file named like a key file is not counted", async () => {
      const dir = dirs.next();
      const backend = fsBackend({ dir });
      await backend.init();
      await backend.set("k", "v");
      writeFileSync(join(dir, "notes.isc"), "the user's own notes");
      writeFileSync(join(dir, "empty.isc"), "");
      expect(await backend.count()).toBe(1);
      const keys: string[] = [];
      for await (const key of backend.scan("*")) keys.push(key);
      expect(keys).toEqual(["k"]);
      await backend.clear();
      expect(await backend.count()).toBe(0);
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

  describe("fs backend: entries named like a key's lock file", () => {
    /** A backend whose lock files go stale after 200 ms, and an `old` date well past that. */
    async function locked() {
      const dir = dirs.next();
      const backend = fsBackend({ dir, staleLockMs: 200 });
      await backend.init();
      return { dir, backend, old: new Date(Date.now() - 60_000) };
    }

    async function refused(write: Promise<unknown>): Promise<Error> {
      const started = Date.now();
      const error = await write.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CacheBackendError);
      // At once: not after waiting for the lock to go stale or for the wait's deadline.
      expect(Date.now() - started).toBeLessThan(150);
      return error as Error;
    }

    it("a directory there, however old, is never broken: the key's writes fail saying to move it", async () => {
      const { dir, backend, old } = await locked();
      mkdirSync(join(dir, "k.isc.lock"));
      writeFileSync(join(dir, "k.isc.lock", "inside.txt"), "user data");
      utimesSync(join(dir, "k.isc.lock"), old, old);
      const writes = [() => backend.set("k", "v"), () => backend.incr("k", 1), () => backend.delete("k")];
      for (const write of writes) {
        expect((await refused(write())).message).toMatch(
          /a directory stands at k\.isc\.lock, .*lock file.*: move it out of /,
        );
      }
      expect(readdirSync(dir)).toEqual(["k.isc.lock"]);
      expect(readFileSync(join(dir, "k.isc.lock", "inside.txt"), "utf8")).toBe("user data");
      expect(await backend.set("other", "v")).toBe(true);
    });

    it("a file there that holds anything, or a symbolic link, is not a lock of this backend: it stays", async () => {
      const { dir, backend, old } = await locked();
      writeFileSync(join(dir, "k.isc.lock"), "the user's own file");
      utimesSync(join(dir, "k.isc.lock"), old, old);
      expect((await refused(backend.set("k", "v"))).message).toMatch(
        /a file the cache did not write stands at k\.isc\.lock, .*: move it out of /,
      );
      expect(readFileSync(join(dir, "k.isc.lock"), "utf8")).toBe("the user's own file");
      symlinkSync(join(dir, "nowhere"), join(dir, "j.isc.lock"));
      expect((await refused(backend.set("j", "v"))).message).toMatch(/j\.isc\.lock/);
      expect(readdirSync(dir).sort()).toEqual(["j.isc.lock", "k.isc.lock"]);
    });

    it("an empty lock file left by a crashed holder is still broken once stale", async () => {
      const { dir, backend, old } = await locked();
      writeFileSync(join(dir, "k.isc.lock"), "");
      utimesSync(join(dir, "k.isc.lock"), old, old);
      expect(await backend.set("k", "v")).toBe(true);
      expect(readdirSync(dir)).toEqual(["k.isc"]);
    });
  });

  describe("fs backend: directories it refuses", () => {
    it("the filesystem root, however spelled, is CacheConfigError when the backend is made", () => {
      for (const dir of ["/", "//", "/./", "/tmp/..", "/tmp/../.."]) {
        expect(() => fsBackend({ dir }), dir).toThrow(CacheConfigError);
        expect(() => fsBackend({ dir }), dir).toThrow(/is the filesystem root: name a directory of its own/);
      }
      for (const url of ["file:///", "file:////", "file:///tmp/%2E%2E"]) {
        expect(() => new Cache().setup(url), url).toThrow(CacheConfigError);
      }
    });

    it("the home directory itself is CacheConfigError; a directory inside it is fine", () => {
      const home = homedir();
      for (const dir of [home, `${home}/`, `${home}/.`]) {
        expect(() => fsBackend({ dir }), dir).toThrow(
          /is the home directory: name a directory of its own inside it/,
        );
      }
      expect(() => fsBackend({ dir: join(home, ".cache", "app") })).not.toThrow();
    });

    it("a symbolic link to the root is refused on the first command, before anything is written", async () => {
      const link = join(dirs.root, "to-root");
      symlinkSync("/", link);
      const before = readdirSync("/");
      const key = `isocache-test-${process.pid}-${Date.now()}`;
      const cache = new Cache().setup(fileUrl(link), { suppress: false });
      try {
        const error = await cache.set(key, 1).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(CacheConfigError);
        expect((error as Error).message).toMatch(/resolves to the filesystem root/);
        expect(readdirSync("/")).toEqual(before);
      } finally {
        // Should the check ever fail, the file it wrote in / goes again (the key is this run's own).
        if (existsSync(`/${key}.isc`)) rmSync(`/${key}.isc`);
        await cache.close();
      }
    });

    it("other directories, the working directory's own subdirectories included, are accepted", async () => {
      const dir = join(dirs.next(), "nested");
      mkdirSync(dir, { recursive: true });
      const backend = fsBackend({ dir: `${dir}/` });
      await backend.init();
      expect(await backend.set("k", "v")).toBe(true);
      expect(readdirSync(dir)).toEqual(["k.isc"]);
    });
  });
}
