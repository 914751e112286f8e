import type { Dirent } from "node:fs";
import { access, constants, mkdir, readdir, realpath, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { parse, resolve } from "node:path";
import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheBackendError, CacheConfigError, errorMessage } from "../core/errors";
import type { BackendCapabilities } from "../core/types";
import { RecordBackend } from "./_shared/record-backend";
import { ForeignRecord } from "./_shared/record-slots";
import { fsFailure } from "./fs-errors";
import {
  entryKind,
  errorCode,
  isLeftover,
  KEY_SUFFIX,
  LOCK_SUFFIX,
  readText,
  removeFile,
  replaceFile,
} from "./fs-files";
import { acquireLock } from "./fs-locks";
import { FS_CAPABILITIES } from "./fs-scheme";

/** Options of `fsBackend`. */
export interface FsBackendOptions {
  /**
   * Directory holding one file per key; created (with its parents) on the first command. The
   * filesystem root and the home directory itself (also through a symbolic link) are refused with
   * `CacheConfigError`; other files in it stay untouched, `clear` included, and a write of a key
   * whose file name holds such a file fails with `CacheBackendError` rather than replace it.
   */
  dir: string;
  /** Time source for TTLs (milliseconds since the epoch); default `systemClock`. Lock staleness always uses real time. */
  clock?: Clock;
  /**
   * A lock file older than this many milliseconds is taken as left by a crashed process and
   * broken; default 5000. Only the empty files the backend creates are ever broken: anything else
   * at a `<key file>.lock` name makes that key's writes fail with `CacheBackendError`.
   */
  staleLockMs?: number;
}

const DEFAULT_STALE_MS = 5_000;
/** Temporary files older than this are leftovers of a crashed writer; `clear` removes them. */
const LEFTOVER_AGE_MS = 60_000;
const ALL_ACCESS = constants.R_OK | constants.W_OK | constants.X_OK;

/**
 * A directory as a cache, on Node, Bun and Deno: one file per key (`<encoded key>.isc`) holding a
 * one-line header (expiry; the full key for hashed names) and the value. Writes go to a
 * temporary file renamed over the key's file, so readers in any process see a whole old or a
 * whole new value. Every write of a key (set, delete, incr, expire, locks) runs under the key's
 * lock file, created with `O_EXCL`, which makes `incr`, `set` with `exist` and the locks atomic
 * across processes on one host; a lock file older than `staleLockMs` is taken as a crashed
 * holder's and broken, so an operation stalled that long loses that guarantee. Entries the
 * backend did not write (the user's files or directories, even named like its own) are never
 * counted, broken, replaced or removed: a file of its own is empty or begins with the record
 * header's `i1 `, also when cut short or corrupt; a write of a key whose file name holds another
 * file fails with `CacheBackendError` saying to move it. A named pipe, socket, device file or
 * symbolic link there is treated the same (opened with `O_NONBLOCK | O_NOFOLLOW` and checked with
 * `fstat`, so nothing waits on it or follows it). `delete` and `set` with `exist` read only a
 * record's header; a record too large for one string fails with `CacheBackendError`. Reads take no lock. No key can name a file outside the directory (see `_shared/key-names.ts`).
 */
export class FsBackend extends RecordBackend {
  /** Always `"fs"`. */
  readonly name = "fs";
  /** Native TTL (kept in each file), atomic across processes through lock files, strong consistency. */
  readonly capabilities: BackendCapabilities = FS_CAPABILITIES;
  readonly #dir: string;
  readonly #staleMs: number;

  constructor(options: FsBackendOptions) {
    // `shared`: the directory may also hold the user's files, and clear must leave them.
    super(options?.clock ?? systemClock, { shared: true });
    const dir = options?.dir;
    if (typeof dir !== "string" || dir.length === 0 || dir.includes("\0")) {
      throw new CacheConfigError(
        errorMessage("fs", "`dir` is not a directory path", 'pass { dir: "/var/tmp/app-cache" }'),
      );
    }
    const staleMs = options.staleLockMs ?? DEFAULT_STALE_MS;
    if (!Number.isSafeInteger(staleMs) || staleMs <= 0) {
      const problem = `staleLockMs ${String(staleMs)} is not a positive integer`;
      throw new CacheConfigError(errorMessage("fs", problem, "pass milliseconds such as 5000"));
    }
    refuseDir(dir, resolve(dir), homeDir(), "is");
    this.#dir = dir.replace(/\/+$/, "");
    this.#staleMs = staleMs;
  }

  /** Creates the directory (and its parents); the core calls it before the first command. */
  async init(): Promise<void> {
    const dir = this.#dir;
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw fsFailure(error, dir, "creating the cache directory");
    }
    const info = await stat(dir).catch((error: unknown) => {
      throw fsFailure(error, dir, "opening the cache directory");
    });
    if (!info.isDirectory()) {
      throw new CacheBackendError(
        "fs",
        errorMessage(
          "fs",
          `${dir} is a file, not a directory`,
          "remove the file or point the cache at a directory",
        ),
      );
    }
    await access(dir, ALL_ACCESS).catch((error: unknown) => {
      throw fsFailure(error, dir, "opening the cache directory");
    });
    await this.#refuseRealDir();
  }

  // Through a symbolic link the directory can still be the root or the home directory.
  async #refuseRealDir(): Promise<void> {
    const dir = this.#dir;
    const real = await realpath(dir).catch((error: unknown) => {
      throw fsFailure(error, dir, "opening the cache directory");
    });
    const home = homeDir();
    const realHome = home === undefined ? undefined : await realpath(home).catch(() => home);
    refuseDir(dir, real, realHome, "resolves to");
  }

  /**
   * Removes every key file that holds a record (or nothing), and temporary files and lock
   * tombstones left by crashed writers; held lock files stay, and so does everything else: other
   * files, even named like key files, and directories.
   */
  override async clear(): Promise<void> {
    await super.clear();
    const now = Date.now();
    try {
      for (const { name } of await this.#files()) {
        if (!isLeftover(name)) continue;
        const path = `${this.#dir}/${name}`;
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined && now - info.mtimeMs > LEFTOVER_AGE_MS) await removeFile(path);
      }
    } catch (error) {
      throw fsFailure(error, this.#dir, "clear");
    }
  }

  async ping(message?: string): Promise<string> {
    await access(this.#dir, ALL_ACCESS).catch((error: unknown) => {
      throw fsFailure(error, this.#dir, "ping");
    });
    return message ?? "PONG";
  }

  /** Holds no handle between commands, so there is nothing to release. */
  async close(): Promise<void> {}

  protected readText(name: string, head: boolean): Promise<string | undefined> {
    return readText(this.#path(name), head ? "head" : "whole");
  }

  protected async writeText(name: string, text: string, ownOnly: boolean): Promise<void> {
    if (!(await replaceFile(this.#dir, this.#path(name), text, ownOnly))) throw new ForeignRecord(name);
  }

  protected removeText(name: string): Promise<boolean> {
    return removeFile(this.#path(name));
  }

  protected async listNames(): Promise<string[]> {
    const names: string[] = [];
    for (const { name } of await this.#files()) {
      if (name.endsWith(KEY_SUFFIX) && !name.startsWith(".")) names.push(name.slice(0, -KEY_SUFFIX.length));
    }
    return names;
  }

  protected async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.#lock(`${this.#path(name)}${LOCK_SUFFIX}`);
    try {
      return await fn();
    } catch (error) {
      // Say what stands there (a named pipe, a symbolic link) when it is no regular file.
      if (!(error instanceof ForeignRecord) || error.what !== undefined) throw error;
      throw new ForeignRecord(name, await entryKind(this.#path(name)));
    } finally {
      await release();
    }
  }

  protected failure(error: unknown, action: string): Error {
    return fsFailure(error, this.#dir, action);
  }

  #path(name: string): string {
    return `${this.#dir}/${name}${KEY_SUFFIX}`;
  }

  // The directory may have been removed since init (a cleanup job, `rm -rf`): recreate it once.
  async #lock(path: string): Promise<() => Promise<void>> {
    try {
      return await acquireLock(path, this.#staleMs);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      await this.init();
      return acquireLock(path, this.#staleMs);
    }
  }

  // Regular files only: the backend writes nothing else, so a directory or link named like a
  // key file is someone else's, never listed, counted or removed.
  async #files(): Promise<Dirent[]> {
    try {
      return (await readdir(this.#dir, { withFileTypes: true })).filter((entry) => entry.isFile());
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw error;
    }
  }
}

// A cache directory is the backend's to fill with files, so not one that every path or every
// file of the user lies below. (`clear` removes only what it wrote, so the risk is clutter and a
// mistyped path, such as an unset variable in `${HOME}/${SUB}`, more than loss.)
function refuseDir(dir: string, full: string, home: string | undefined, verb: string): void {
  if (full === parse(full).root) {
    throw new CacheConfigError(
      errorMessage(
        "fs",
        `dir "${dir}" ${verb} the filesystem root`,
        "name a directory of its own, such as /var/tmp/app-cache",
      ),
    );
  }
  if (full === home) {
    throw new CacheConfigError(
      errorMessage(
        "fs",
        `dir "${dir}" ${verb} the home directory`,
        "name a directory of its own inside it, such as ~/.cache/app",
      ),
    );
  }
}

/** The user's home directory, absolute; `undefined` where the runtime cannot tell (no HOME, no permission). */
function homeDir(): string | undefined {
  try {
    const home = homedir();
    return home === "" ? undefined : resolve(home);
  } catch {
    return undefined;
  }
}

/**
 * Creates a filesystem backend over `dir` (Node, Bun and Deno); `file:///path` in `cache.setup` builds the same.
 * @example
 * import { fsBackend } from "isocache/backends/fs";
 * cache.setup(fsBackend({ dir: "/var/tmp/app-cache" }));
 */
export function fsBackend(options: FsBackendOptions): FsBackend {
  return new FsBackend(options);
}
