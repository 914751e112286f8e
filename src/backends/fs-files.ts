// File primitives of the fs backend: whole-file reads, atomic replacement and removal (lock
// files are in ./fs-locks, error messages in ./fs-errors). `node:fs/promises` behaves the same
// here on Node, Bun and Deno (checked: `open(..., "wx")`, `rename` over an existing file, `link`
// refusing an existing target, inode numbers from `stat`), except where noted.
import { close, open as openFd, read } from "node:fs";
import { lstat, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { isRecordText } from "./_shared/stored-record";

/** Suffix of every key file; the backend lists, counts and clears only names with it. */
export const KEY_SUFFIX = ".isc";
/** Suffix of a key's lock file (after `KEY_SUFFIX`). */
export const LOCK_SUFFIX = ".lock";
/** Prefix of temporary files; the leading dot keeps them out of plain listings. */
export const TEMP_PREFIX = ".isc-tmp-";
const HEAD_BYTES = 512;
/** Enough of a file's start for `isRecordText`. */
const OWN_CHECK_BYTES = 16;
const decoder = new TextDecoder();
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
 * The first bytes of a file, enough for a record header; the whole file when it is a record whose
 * header is longer (a hashed name's full key), never when it begins like no record (a user's
 * file, however large). `undefined` when it does not exist.
 */
export async function readHead(path: string): Promise<string | undefined> {
  const head = await readStart(path, HEAD_BYTES);
  if (head === undefined || head.includes("\n") || !isRecordText(head)) return head;
  return readText(path);
}

/**
 * Up to `bytes` first bytes of a file as text; `undefined` when it does not exist (or a directory
 * stands there). Callbacks rather than a `FileHandle`, which costs more per file.
 */
export function readStart(path: string, bytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    openFd(path, "r", (openError, fd) => {
      if (openError) {
        if (isAbsent(openError)) resolve(undefined);
        else reject(openError);
        return;
      }
      const buffer = new Uint8Array(bytes);
      read(fd, buffer, 0, bytes, 0, (readError, bytesRead) => {
        // A failed close of a file opened for reading loses nothing.
        close(fd, () => {
          // Opening a directory for reading succeeds on Linux; reading it is what fails.
          if (!readError) resolve(decoder.decode(buffer.subarray(0, bytesRead)));
          else if (isAbsent(readError)) resolve(undefined);
          else reject(readError);
        });
      });
    });
  });
}

/**
 * Replaces `path` with `text` atomically: the text goes to a temporary file in the same
 * directory (the same file system, so `rename` cannot degrade to a copy), which is then renamed
 * over the target. A reader holding the old file keeps reading the old whole value; a new reader
 * gets the new whole value; no one ever sees a half-written file. Not fsynced: a cache may lose
 * its newest writes on power loss, and a record truncated by a crash reads as a miss. With
 * `ownOnly`, the first bytes of `path` are read while the temporary file is written, and when
 * they are not the start of a record (`isRecordText`: a user's file) nothing is replaced and the
 * answer is `false`. Callers hold the key's lock, so no other writer of the cache comes between.
 */
export async function replaceFile(
  dir: string,
  path: string,
  text: string,
  ownOnly = false,
): Promise<boolean> {
  const temp = `${dir}/${TEMP_PREFIX}${randomId()}`;
  try {
    const [written, held] = await Promise.allSettled([
      writeFile(temp, text, { encoding: "utf8", flag: "wx" }),
      ownOnly ? readStart(path, OWN_CHECK_BYTES) : undefined,
    ]);
    if (written.status === "rejected") throw written.reason;
    if (held.status === "rejected") throw held.reason;
    if (held.value === undefined || isRecordText(held.value)) {
      await rename(temp, path);
      return true;
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await unlink(temp).catch(() => undefined);
  return false;
}

/**
 * Deletes a file; `false` when it did not exist, or a directory stands there (which stays, except
 * an empty one on Deno, whose unlink removes it: callers first check that the name holds their own
 * file, see `isOwnText` in `_shared/record-slots` and `acquireLock`).
 */
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
