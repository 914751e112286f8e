// File primitives of the fs backend: whole-file reads, atomic replacement, cross-process lock
// files, and the mapping of system errors to messages that say what to do. `node:fs/promises`
// behaves the same here on Node, Bun and Deno (checked: `open(..., "wx")`, `rename` over an
// existing file, `link` refusing an existing target, inode numbers from `stat`).
import type { Stats } from "node:fs";
import { link, lstat, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { CacheBackendError, CacheError, errorMessage } from "../core/errors";

/** Suffix of every key file; the backend lists, counts and clears only names with it. */
export const KEY_SUFFIX = ".isc";
/** Suffix of a key's lock file (after `KEY_SUFFIX`). */
export const LOCK_SUFFIX = ".lock";
/** Prefix of temporary files; the leading dot keeps them out of plain listings. */
export const TEMP_PREFIX = ".isc-tmp-";
const HEAD_BYTES = 512;
/** Names of the files a crashed writer or lock breaker can leave: a temporary file, a lock's tombstone. */
const LEFTOVER = /^(?:\.isc-tmp-[0-9a-f]{16}|.+\.isc\.lock\.[0-9a-f]{16}\.stale)$/;

/** True for the name of a temporary file or lock tombstone this backend writes (see `replaceFile`, `breakLock`). */
export function isLeftover(name: string): boolean {
  return LEFTOVER.test(name);
}

/** The `code` of a system error (`ENOENT`, `EACCES`, ...), or `undefined`. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Sixteen random hex digits, for temporary and tombstone names. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** The whole file as text; `undefined` when it does not exist (or a directory stands there: no record). */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

// A directory named like a key file is someone else's: for reads it holds no record.
function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "EISDIR";
}

/**
 * The first bytes of a file, enough for a record header; the whole file when the header is
 * longer (a hashed name's full key). `undefined` when it does not exist.
 */
export async function readHead(path: string): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
  try {
    const buffer = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.includes(10) || bytesRead < HEAD_BYTES) return new TextDecoder().decode(head);
  } catch (error) {
    // Opening a directory for reading succeeds on Linux; reading it is what fails.
    if (isAbsent(error)) return undefined;
    throw error;
  } finally {
    await handle.close();
  }
  return readText(path);
}

/**
 * Replaces `path` with `text` atomically: the text goes to a temporary file in the same
 * directory (the same file system, so `rename` cannot degrade to a copy), which is then renamed
 * over the target. A reader holding the old file keeps reading the old whole value; a new reader
 * gets the new whole value; no one ever sees a half-written file. Not fsynced: a cache may lose
 * its newest writes on power loss, and a record truncated by a crash reads as a miss.
 */
export async function replaceFile(dir: string, path: string, text: string): Promise<void> {
  const temp = `${dir}/${TEMP_PREFIX}${randomId()}`;
  try {
    await writeFile(temp, text, { encoding: "utf8", flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Deletes a file; `false` when it did not exist, or a directory stands there (which stays). */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    const code = errorCode(error);
    // unlink of a directory is EISDIR on Linux, EPERM on macOS and some others; Deno's removes
    // an empty one and fails on any other with ENOTEMPTY.
    if (isAbsent(error) || code === "ENOTEMPTY") return false;
    if (code === "EPERM" && (await lstat(path).catch(() => undefined))?.isDirectory()) return false;
    throw error;
  }
}

/** Thrown when a lock file stays held longer than the wait allows. */
export class LockBusy extends Error {}

/** Thrown when an entry the backend did not write stands at a lock file's name; `what` names it ("a directory"). */
export class ForeignLock extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(path);
  }
}

/**
 * Takes the lock file `path` (created with `O_EXCL`, so exactly one process succeeds) and
 * returns its release. A lock file older than `staleMs` is taken to belong to a crashed process
 * and broken; waiters back off with jitter up to 25 ms and give up after twice `staleMs`.
 * Anything there that is not an empty regular file is not a lock of this backend: it throws
 * `ForeignLock` at once, and is never broken.
 */
export async function acquireLock(path: string, staleMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + 2 * staleMs;
  for (let attempt = 0; ; attempt++) {
    const inode = await createLock(path);
    if (inode !== undefined) return () => releaseLock(path, inode);
    // lstat, not stat: a symbolic link is not ours either, and a dangling one would stat as
    // missing while `open` keeps failing with EEXIST.
    const held = await lstatOrMissing(path);
    if (held === undefined) continue;
    const what = foreignEntry(held);
    if (what !== undefined) throw new ForeignLock(path, what);
    if (Date.now() - held.mtimeMs > staleMs) {
      await breakLock(path, held.ino);
      continue;
    }
    if (Date.now() > deadline) throw new LockBusy(path);
    const backoff = Math.min(2 ** attempt, 25);
    await new Promise((resolve) => setTimeout(resolve, backoff * (0.5 + Math.random())));
  }
}

// The lock's inode, or `undefined` when the name is taken.
async function createLock(path: string): Promise<number | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx");
  } catch (error) {
    if (errorCode(error) === "EEXIST") return undefined;
    throw error;
  }
  try {
    return (await handle.stat()).ino;
  } finally {
    await handle.close();
  }
}

async function lstatOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

// The backend's lock files are created empty and never written (see `createLock`); what else
// stands there is someone else's: `undefined` for one of ours, else what it is.
function foreignEntry(info: Stats): string | undefined {
  if (info.isFile()) return info.size === 0 ? undefined : "a file the cache did not write";
  if (info.isDirectory()) return "a directory";
  return info.isSymbolicLink() ? "a symbolic link" : "an entry the cache did not write";
}

// Only the lock this call created is removed: if ours was broken as stale meanwhile, the lock
// file now belongs to someone else (another inode) and stays.
async function releaseLock(path: string, inode: number): Promise<void> {
  const current = await lstat(path).catch(() => undefined);
  if (current?.ino === inode) await removeFile(path);
}

// Breaking by rename, not unlink: two processes that both saw the stale file must not both
// delete, or the second would delete the first one's fresh lock. The rename moves away exactly
// one file; if that turns out to be another entry than the stale one seen (a fresh lock, or in
// a narrow race the user's), it is put back unless the slot was taken again meanwhile (`link`
// refuses an existing target); only a lock of ours is ever deleted.
async function breakLock(path: string, staleInode: number): Promise<void> {
  const tomb = `${path}.${randomId()}.stale`;
  try {
    await rename(path, tomb);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw error;
  }
  const moved = await lstat(tomb).catch(() => undefined);
  if (moved === undefined) return;
  if (moved.ino !== staleInode) {
    const back = moved.isDirectory() ? rename(tomb, path) : link(tomb, path);
    const restored = await back.then(
      () => true,
      () => false,
    );
    if (moved.isDirectory() || (!restored && foreignEntry(moved) !== undefined)) return;
  }
  await removeFile(tomb).catch(() => undefined);
}

const REMEDIES: Readonly<Record<string, readonly [problem: string, remedy: (dir: string) => string]>> = {
  EACCES: [
    "permission denied",
    (dir) => `give this process read and write access to ${dir}, or use another directory`,
  ],
  EPERM: [
    "operation not permitted",
    (dir) => `give this process read and write access to ${dir}, or use another directory`,
  ],
  EROFS: ["the file system is read-only", () => "point the cache at a writable directory"],
  ENOSPC: ["no space left on the device", (dir) => `free disk space where ${dir} lives, or clear the cache`],
  EDQUOT: [
    "the disk quota is exhausted",
    (dir) => `free space within the quota of ${dir}, or clear the cache`,
  ],
  ENOTDIR: [
    "a part of the path is a file, not a directory",
    (dir) => `make every part of ${dir} a directory`,
  ],
  EEXIST: ["the path is a file, not a directory", (dir) => `remove the file ${dir} or use another directory`],
  EMFILE: ["too many open files", () => "raise the open-file limit (ulimit -n) or lower the concurrency"],
  ENFILE: [
    "too many open files on the system",
    () => "raise the system's open-file limit or lower the concurrency",
  ],
  ENAMETOOLONG: ["the directory path is too long", () => "use a shorter directory path"],
};

/** A system error of `action` on the cache directory as a `CacheBackendError` saying what to do. */
export function fsFailure(error: unknown, dir: string, action: string): Error {
  if (CacheError.is(error)) return error as Error;
  if (errorCode(error) === "EISDIR") return directoryInTheWay(error, dir, action);
  if (error instanceof ForeignLock) return foreignLock(error, dir, action);
  if (error instanceof LockBusy) {
    return new CacheBackendError(
      "fs",
      errorMessage(
        "fs",
        `${action} in ${dir} gave up waiting for the lock file ${error.message}`,
        "another process holds it; retry, or raise staleLockMs if operations are that slow",
      ),
      { cause: error },
    );
  }
  const code = errorCode(error);
  const known = code === undefined ? undefined : REMEDIES[code];
  const problem = known?.[0] ?? (error instanceof Error ? error.message : String(error));
  const remedy = known?.[1](dir) ?? `check that ${dir} is a writable directory`;
  return new CacheBackendError(
    "fs",
    errorMessage("fs", `${action} in ${dir} failed because ${problem}${code ? ` (${code})` : ""}`, remedy),
    {
      cause: error,
    },
  );
}

// A write of a key whose file name a directory holds (the user's, named like a key file): the
// backend never removes a directory, so the user must.
function directoryInTheWay(error: unknown, dir: string, action: string): Error {
  const { dest, path } = error as { dest?: unknown; path?: unknown };
  const target = [dest, path].find((one) => typeof one === "string" && one.endsWith(KEY_SUFFIX));
  const name = typeof target === "string" ? target.slice(target.lastIndexOf("/") + 1) : "a key's file name";
  return new CacheBackendError(
    "fs",
    errorMessage(
      "fs",
      `${action} in ${dir} failed because a directory stands at ${name} (EISDIR)`,
      `remove it or move it out of ${dir}, which should hold only the cache's files`,
    ),
    { cause: error },
  );
}

// A locked write of a key whose lock file name holds the user's entry: waiting cannot help and
// the backend never breaks what it did not write, so the user must move it.
function foreignLock(error: ForeignLock, dir: string, action: string): Error {
  const name = error.path.slice(error.path.lastIndexOf("/") + 1);
  return new CacheBackendError(
    "fs",
    errorMessage(
      "fs",
      `${action} in ${dir} failed because ${error.what} stands at ${name}, where the cache keeps that key's lock file`,
      `move it out of ${dir}, which should hold only the cache's files`,
    ),
    { cause: error },
  );
}
