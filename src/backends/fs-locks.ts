// Cross-process lock files of the fs backend: one per key, created with `O_EXCL`, broken when a
// crashed holder left it, never when someone else's entry stands at its name.
import type { Stats } from "node:fs";
import { link, lstat, open, rename } from "node:fs/promises";
import { errorCode, kindOf, randomId, removeFile } from "./fs-files";

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
  return info.isFile() && info.size === 0 ? undefined : kindOf(info);
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
