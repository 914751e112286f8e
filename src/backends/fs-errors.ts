// System errors of the fs backend as `CacheBackendError`s whose messages say what to do.
import { CacheBackendError, CacheError, errorMessage } from "../core/errors";
import { ForeignRecord } from "./_shared/record-slots";
import { errorCode, FileTooLarge, KEY_SUFFIX } from "./fs-files";
import { ForeignLock, LockBusy } from "./fs-locks";

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
  if (error instanceof ForeignRecord) return foreignRecord(error, dir, action);
  if (error instanceof FileTooLarge) return tooLarge(error, dir, action);
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

// A write of a key whose file name holds a file the backend did not write, or an entry that is no
// regular file (a named pipe, socket, device file or symbolic link): replacing it would lose the
// user's data or break what uses it, and the backend cannot tell where else it belongs, so the
// user moves it.
function foreignRecord(error: ForeignRecord, dir: string, action: string): Error {
  return new CacheBackendError(
    "fs",
    errorMessage(
      "fs",
      `${action} in ${dir} failed because ${error.what ?? "a file the cache did not write"} stands at ${error.name}${KEY_SUFFIX}, where the cache keeps that key's record`,
      `move it out of ${dir}, or point the cache at a directory of its own`,
    ),
    { cause: error },
  );
}

// A key file larger than the runtime can hold as one string (a record the cache wrote holds at
// most one: a file this large was written or grown by someone else, or its value is lost anyway).
function tooLarge(error: FileTooLarge, dir: string, action: string): Error {
  const name = error.path.slice(error.path.lastIndexOf("/") + 1);
  return new CacheBackendError(
    "fs",
    errorMessage(
      "fs",
      `${action} in ${dir} failed because ${name} is ${error.size} bytes, more than this runtime can read into one string`,
      `delete the key (delete reads only its header) or remove the file; keep values that large out of the cache`,
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
