// Directories the fs backend refuses to hold a cache in: the filesystem root and the user's home
// directory, however spelled, and through a symbolic link once the directory is opened.
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Cache, CacheConfigError } from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { fileUrl, tempDirs } from "./fs-temp";

const dirs = tempDirs("fs-dirs");
afterEach(() => dirs.cleanup());
afterAll(() => dirs.remove());

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
