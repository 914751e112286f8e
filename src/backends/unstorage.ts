import type { Storage } from "unstorage";
import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheBackendError, CacheConfigError, CacheError, errorMessage } from "../core/errors";
import type { BackendCapabilities } from "../core/types";
import { RecordBackend } from "./_shared/record-backend";

/** Options of `unstorageBackend`. */
export interface UnstorageBackendOptions {
  /**
   * Key base inside the storage, `:`-separated (`"isocache"` by default): every record lives
   * under it, so `clear` and `count` touch only this cache's records and never the rest of the storage.
   */
  base?: string;
  /** Time source for the TTLs kept in each record (milliseconds since the epoch); default `systemClock`. */
  clock?: Clock;
}

// `nativeTtl`: every TTL lives in the record's header (the drivers expire nothing), where scans
// see it too; in the core's envelope, scans and deleteMatch would list expired keys.
const CAPABILITIES: BackendCapabilities = Object.freeze({
  nativeTtl: true,
  minTtlMs: 0,
  maxKeyBytes: 0,
  atomic: false,
  consistency: "strong",
});
const BASE = /^[A-Za-z0-9_-]+(?::[A-Za-z0-9_-]+)*$/;
// unstorage's fs driver leaves out of `getKeys` every path with a `node_modules` or `.git`
// segment unless given its own `ignore`: records there would be invisible to scan and clear.
const IGNORED_SEGMENT = /(?:^|[/\\:])(?:node_modules|\.git)(?:[/\\:]|$)/;
// The one key name that is such a segment is stored with its first letter escaped.
const IGNORED_NAME = "node_modules";
const STORED_IGNORED_NAME = "%6Eode_modules";

/**
 * Any unstorage `Storage` as a cache. unstorage's memory and fs drivers expire nothing, so each
 * record keeps its expiry in its header and reads, `exists` and scans skip it once passed (as on
 * the fs backend). unstorage has no compare-and-set, so `incr`, `set` with
 * `exist` and locks are atomic within one backend object (per-key queue) but not across
 * processes sharing the storage (`atomic: false`). Within one backend object a read of a key
 * also waits for that key's writes (the fs driver rewrites a file in place, and a read meanwhile
 * would find it empty); another process's reader can still see a write half done.
 *
 * Keys: unstorage turns `/` and `\` into its `:` separator, drops what follows `?`, rejects `..`
 * segments and, on the fs driver, maps keys to file names; every isocache key is therefore
 * percent-encoded into `[a-z0-9_%-]` (long ones hashed, see `_shared/key-names.ts`), which
 * unstorage stores unchanged, so `scan` gives every key back exactly. Values are stored as JSON
 * string literals, because `getItem` runs stored text through `destr` and would turn `"42"` or
 * `"true"` into a number or a boolean.
 */
export class UnstorageBackend extends RecordBackend {
  /** Always `"unstorage"`. */
  readonly name = "unstorage";
  /** TTLs kept in each record, not atomic across processes; as consistent as the driver (strong for memory and fs). */
  readonly capabilities = CAPABILITIES;
  readonly #storage: Storage;
  readonly #base: string;

  constructor(storage: Storage, options: UnstorageBackendOptions = {}) {
    // The fs driver writes a file in place: a read meanwhile sees it empty.
    super(options.clock ?? systemClock, { queueReads: true });
    if (typeof storage?.getItem !== "function" || typeof storage.getKeys !== "function") {
      throw new CacheConfigError(
        errorMessage(
          "unstorage",
          "the argument is not an unstorage Storage",
          "pass createStorage({ driver }) from unstorage",
        ),
      );
    }
    const base = options.base ?? "isocache";
    if (!BASE.test(base)) {
      throw new CacheConfigError(
        errorMessage(
          "unstorage",
          `base "${base}" is not a :-separated list of names`,
          'use letters, digits, "-" and "_", such as "isocache" or "app:cache"',
        ),
      );
    }
    rejectHiddenBase(storage, base);
    this.#storage = storage;
    this.#base = `${base}:`;
  }

  async ping(message?: string): Promise<string> {
    try {
      await this.#storage.hasItem(`${this.#base}ping`);
    } catch (error) {
      throw this.failure(error, "ping");
    }
    return message ?? "PONG";
  }

  /** The storage belongs to the caller, who disposes it; nothing of the backend's stays open. */
  async close(): Promise<void> {}

  protected async readText(name: string): Promise<string | undefined> {
    const stored = await this.#storage.getItem(this.#item(name));
    return typeof stored === "string" ? stored : undefined;
  }

  protected async writeText(name: string, text: string): Promise<void> {
    await this.#storage.setItem(this.#item(name), JSON.stringify(text));
  }

  protected async removeText(name: string): Promise<boolean> {
    const key = this.#item(name);
    if (!(await this.#storage.hasItem(key))) return false;
    await this.#storage.removeItem(key);
    return true;
  }

  protected async listNames(): Promise<string[]> {
    const base = this.#base;
    const names: string[] = [];
    for (const key of await this.#storage.getKeys(base)) {
      if (!key.startsWith(base)) continue;
      const name = key.slice(base.length);
      // A bare `node_modules` item is none of this backend's (it never writes that name).
      if (name !== IGNORED_NAME) names.push(name === STORED_IGNORED_NAME ? IGNORED_NAME : name);
    }
    return names;
  }

  // unstorage has no conditional write, so there is nothing to lock across processes with.
  protected exclusive<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  #item(name: string): string {
    return this.#base + (name === IGNORED_NAME ? STORED_IGNORED_NAME : name);
  }

  protected failure(error: unknown, action: string): Error {
    if (CacheError.is(error)) return error as Error;
    const detail = error instanceof Error ? error.message : String(error);
    return new CacheBackendError(
      "unstorage",
      errorMessage(
        "unstorage",
        `${action} failed (${detail})`,
        "check the unstorage driver and what it is connected to",
      ),
      { cause: error },
    );
  }
}

/** Refuses an fs driver whose default `ignore` would hide the records under `base` from listing. */
function rejectHiddenBase(storage: Storage, base: string): void {
  const driver = storage.getMount?.(base)?.driver;
  const options = driver?.options as { base?: unknown; ignore?: unknown } | undefined;
  if (driver?.name !== "fs" || options === undefined || options.ignore !== undefined) return;
  const dir = String(options.base);
  if (!IGNORED_SEGMENT.test(`${dir}:${base}`)) return;
  const problem = `unstorage's fs driver ignores node_modules and .git paths by default, and "${dir}" with base "${base}" is one: scan, clear and count would see none of its records`;
  throw new CacheConfigError(
    errorMessage(
      "unstorage",
      problem,
      "pass fsDriver({ base, ignore: [] }), or keep the directory and base outside node_modules and .git",
    ),
  );
}

/**
 * Wraps an unstorage `Storage` (any driver) as a backend for `cache.setup`.
 * @example
 * import { createStorage } from "unstorage";
 * import fsDriver from "unstorage/drivers/fs";
 * import { unstorageBackend } from "isocache/backends/unstorage";
 * cache.setup(unstorageBackend(createStorage({ driver: fsDriver({ base: "./.cache" }) })));
 */
export function unstorageBackend(storage: Storage, options?: UnstorageBackendOptions): UnstorageBackend {
  return new UnstorageBackend(storage, options);
}
