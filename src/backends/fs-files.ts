// File primitives of the fs backend: reads of a key file (whole or its head, never waiting on or
// following what is no regular file), atomic replacement and removal (lock files are in
// ./fs-locks, error messages in ./fs-errors). `node:fs/promises` behaves the same
// here on Node, Bun and Deno (checked: `open(..., "wx")`, `rename` over an existing file, `link`
// refusing an existing target, inode numbers from `stat`), except where noted.
import { constants as bufferConstants } from "node:buffer";
import { close as closeFd, constants, fstat, open as openFd, read, type Stats } from "node:fs";
import { lstat, rename, unlink, writeFile } from "node:fs/promises";
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

/**
 * What a read gives for an entry at a key's file name that is no regular file and no directory (a
 * named pipe, socket, device file or symbolic link): text that is not a record, so reads miss and
 * writes take it for someone else's (`holderOf`), as for a user's file.
 */
export const NOT_A_FILE = "\0";

// O_NONBLOCK: opening a named pipe for reading would wait for a writer (Linux ignores it for
// regular files). O_NOFOLLOW: a symbolic link at the name fails instead of being followed (to
// /dev/zero, a pipe, another directory's files). Node, Bun and Deno take numeric flags (checked on
// Linux); where a constant is missing (Windows) the fstat check below still holds.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
// Opening fails with these for an entry that is no regular file: a symbolic link under O_NOFOLLOW
// (ELOOP; EMLINK on FreeBSD), a socket (ENXIO on Linux, EOPNOTSUPP on macOS).
const NOT_A_FILE_CODES = new Set(["ELOOP", "EMLINK", "ENXIO", "EOPNOTSUPP"]);

/** Thrown when a file is larger than this runtime can hold as one string; ./fs-errors says what to do. */
export class FileTooLarge extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
  ) {
    super(`${path} is ${size} bytes`);
  }
}

// Past this, no decoding fits in a string (UTF-8 gives at least one UTF-16 unit per three bytes)
// or the bytes in a buffer, so the file is refused before anything is read: 1.5 GiB on Node and
// Deno, 4 GiB on Bun. Below it, a decoding that does not fit throws, and is refused then.
const MAX_READ_BYTES = Math.min(bufferConstants.MAX_LENGTH, 3 * bufferConstants.MAX_STRING_LENGTH);

/**
 * The file's text; `undefined` when it does not exist or a directory stands there (no record),
 * `NOT_A_FILE` for an entry that is no regular file (never waited on or followed). With `part`
 * `"head"`, the first bytes, enough for a record header (the whole header line when the file
 * begins like a record); with `"start"`, just the first `OWN_CHECK_BYTES`. A file that begins
 * like no record (a user's, however large) is never read past its first `HEAD_BYTES`. Throws
 * `FileTooLarge` when the text needed does not fit in a string. Callbacks rather than a
 * `FileHandle`, which costs more per file.
 */
export async function readText(
  path: string,
  part: "whole" | "head" | "start" = "whole",
): Promise<string | undefined> {
  const fd = await new Promise<number | undefined | typeof NOT_A_FILE>((resolve, reject) => {
    openFd(path, READ_FLAGS, (error, opened) => {
      if (!error) resolve(opened);
      else if (isAbsent(error)) resolve(undefined);
      else if (NOT_A_FILE_CODES.has(errorCode(error) ?? "")) resolve(NOT_A_FILE);
      else reject(error);
    });
  });
  if (typeof fd !== "number") return fd;
  try {
    const info = await new Promise<Stats>((resolve, reject) =>
      fstat(fd, (error, stats) => (error ? reject(error) : resolve(stats))),
    );
    // Opening a directory for reading succeeds on Linux: it holds no record.
    if (info.isDirectory()) return undefined;
    if (!info.isFile()) return NOT_A_FILE;
    return await readOpen(fd, path, info.size, part);
  } finally {
    // A failed close of a file opened for reading loses nothing.
    closeFd(fd, () => undefined);
  }
}

async function readOpen(
  fd: number,
  path: string,
  size: number,
  part: "whole" | "head" | "start",
): Promise<string> {
  let buffer = new Uint8Array(Math.min(size, part === "start" ? OWN_CHECK_BYTES : HEAD_BYTES));
  let filled = await readInto(fd, buffer, 0);
  const start = decoder.decode(buffer.subarray(0, filled));
  // Enough: the start asked for, a user's file (its start tells), or the header line.
  if (part === "start" || !isRecordText(start) || (part === "head" && start.includes("\n"))) return start;
  // A record's whole text, or its header line past HEAD_BYTES (a hashed name's full key): read on
  // until the file ends (or has given the `size` bytes it had when opened).
  while (filled === buffer.length && filled < size) {
    const target = part === "whole" ? size : Math.min(size, buffer.length * 4);
    const grown = allocate(target, path, size);
    grown.set(buffer.subarray(0, filled));
    buffer = grown;
    filled = await readInto(fd, buffer, filled);
    if (part === "head" && buffer.subarray(0, filled).includes(NEWLINE)) break;
  }
  try {
    return decoder.decode(buffer.subarray(0, filled));
  } catch {
    // Node: ERR_STRING_TOO_LONG; Deno: a TypeError. Nothing else fails (invalid UTF-8 becomes U+FFFD).
    throw new FileTooLarge(path, size);
  }
}

const NEWLINE = 0x0a;

// Room for `bytes` of the file at `path`, or `FileTooLarge` when no string could hold them or the
// process cannot find that much memory.
function allocate(bytes: number, path: string, size: number): Uint8Array<ArrayBuffer> {
  if (bytes > MAX_READ_BYTES) throw new FileTooLarge(path, size);
  try {
    return new Uint8Array(bytes);
  } catch {
    throw new FileTooLarge(path, size);
  }
}

// Fills `buffer` from byte `from` on (the file's offset `from`) until it is full or the file
// ends; resolves with the bytes now in it.
function readInto(fd: number, buffer: Uint8Array, from: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const step = (filled: number): void => {
      if (filled === buffer.length) {
        resolve(filled);
        return;
      }
      read(fd, buffer, filled, buffer.length - filled, filled, (error, bytesRead) => {
        if (error) reject(error);
        else if (bytesRead === 0) resolve(filled);
        else step(filled + bytesRead);
      });
    };
    step(from);
  });
}

// A directory named like a key file is someone else's: for reads it holds no record.
function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "EISDIR";
}

/** What stands at a name, for messages: "a named pipe", "a symbolic link", ... (`undefined` for none). */
export async function entryKind(path: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  return info === undefined ? undefined : kindOf(info);
}

/** What `info` (from `lstat`) is, for messages; a regular file is "a file the cache did not write". */
export function kindOf(info: Stats): string {
  if (info.isFile()) return "a file the cache did not write";
  if (info.isDirectory()) return "a directory";
  if (info.isSymbolicLink()) return "a symbolic link";
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device file";
  return "an entry the cache did not write";
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
      ownOnly ? readText(path, "start") : undefined,
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
