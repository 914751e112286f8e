import { promisifyRequest } from "idb-keyval";
import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheArgumentError, CacheConfigError, CacheValueError, errorMessage } from "../core/errors";
import type { Backend, BackendCapabilities, BackendSetOptions } from "../core/types";
import { parseGlob } from "./_shared/glob";
import { IdbConnection } from "./idb-connection";
import { type Change, mutate, mutateMany, type StoredRecord, toRecord } from "./idb-records";

export { idb } from "./idb-setup";

/** Options of `idbBackend`. */
export interface IdbBackendOptions {
  /** IndexedDB database name; default `"isocache"`. Created with the store when missing. */
  db?: string;
  /** Object store name; default `"cache"`. */
  store?: string;
  /** Longest wait for the database to open, in milliseconds (another tab's blocked upgrade can stall it); default 5000. */
  openTimeout?: number;
  /** Time source (milliseconds since the epoch); default `systemClock`. */
  clock?: Clock;
}

const CAPABILITIES: BackendCapabilities = Object.freeze({
  nativeTtl: true,
  minTtlMs: 0,
  maxKeyBytes: 0,
  atomic: true,
  consistency: "strong",
});
const INTEGER = /^-?\d+$/;
/** Expired records are swept at most this often, on a write. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Cache storage in IndexedDB through idb-keyval. IndexedDB has no TTL: each record keeps its
 * expiry (epoch ms) beside the value, expired records read as missing and are swept on `count`
 * and at most once a minute on a write. Conditional writes, `incr` and locks each run in one
 * readwrite transaction, which IndexedDB serialises across every tab and worker of the origin.
 */
export class IdbBackend implements Backend {
  /** Always `"idb"`. */
  readonly name = "idb";
  /** Exact TTLs (kept in each record), atomic, strongly consistent, no key limit. */
  readonly capabilities = CAPABILITIES;
  readonly #connection: IdbConnection;
  readonly #clock: Clock;
  #sweptAt = 0;
  #sweeping: Promise<void> | undefined;

  constructor(options: IdbBackendOptions = {}) {
    const { db = "isocache", store = "cache", openTimeout = 5_000, clock = systemClock } = options;
    if (typeof db !== "string" || db.length === 0 || typeof store !== "string" || store.length === 0) {
      throw new CacheConfigError(
        errorMessage(
          "idb",
          "`db` and `store` must be non-empty strings",
          'pass for example { db: "app", store: "cache" }',
        ),
      );
    }
    if (!Number.isSafeInteger(openTimeout) || openTimeout <= 0) {
      throw new CacheConfigError(
        errorMessage(
          "idb",
          `openTimeout ${String(openTimeout)} is not a positive integer`,
          "pass milliseconds, such as 5000",
        ),
      );
    }
    this.#connection = new IdbConnection(db, store, openTimeout);
    this.#clock = clock;
  }

  async get(key: string): Promise<string | undefined> {
    const found = await this.#connection.run("get", "readonly", (s) => promisifyRequest(s.get(key)));
    return this.#live(found)?.v;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const found = await this.#connection.run("getMany", "readonly", (s) =>
      Promise.all(keys.map((key) => promisifyRequest(s.get(key)))),
    );
    return found.map((value) => this.#live(value)?.v);
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const record = this.#record(value, this.#expiry(options?.ttl));
    const exist = options?.exist;
    this.#maybeSweep();
    return mutate(this.#connection, "set", key, (current) => {
      if (exist !== undefined && (this.#live(current) !== undefined) !== exist) return { result: false };
      return { result: true, write: record };
    });
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    const expiresAt = this.#expiry(ttl);
    this.#maybeSweep();
    await this.#connection.run("setMany", "readwrite", (s) => {
      for (const [key, value] of entries) {
        const record = this.#record(value, expiresAt);
        if (record === null) s.delete(key);
        else s.put(record, key);
      }
      return promisifyRequest(s.transaction);
    });
  }

  async delete(key: string): Promise<boolean> {
    return mutate(this.#connection, "delete", key, (current) =>
      current === undefined ? { result: false } : { result: this.#live(current) !== undefined, write: null },
    );
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const results = await mutateMany(this.#connection, "deleteMany", [...new Set(keys)], (current) =>
      current === undefined ? { result: false } : { result: this.#live(current) !== undefined, write: null },
    );
    return results.filter(Boolean).length;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const { literal, prefix, regexp } = parseGlob(pattern);
    if (literal) {
      if (await this.exists(prefix)) yield prefix;
      return;
    }
    const now = this.#clock.now();
    // Collected inside one transaction before the first yield: a transaction cannot wait for the consumer.
    const keys = await this.#connection.run("scan", "readonly", (s) => {
      const matches: string[] = [];
      const cursor = s.openCursor(prefix === "" ? null : IDBKeyRange.lowerBound(prefix));
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (at === null || (typeof at.key === "string" && !at.key.startsWith(prefix))) return;
        const record = toRecord(at.value);
        const live = record !== undefined && (record.e === undefined || record.e > now);
        if (typeof at.key === "string" && live && regexp.test(at.key)) matches.push(at.key);
        at.continue();
      };
      return promisifyRequest(s.transaction).then(() => matches);
    });
    yield* keys;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      throw new CacheArgumentError(
        errorMessage("idb", `incr by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
      );
    }
    const created = this.#record(String(by), this.#expiry(ttl));
    this.#maybeSweep();
    return mutate(this.#connection, "incr", key, (current): Change<number> => {
      const record = this.#live(current);
      if (record === undefined) return { result: by, write: created };
      const value = INTEGER.test(record.v) ? Number(record.v) : Number.NaN;
      const next = value + by || 0;
      if (!Number.isSafeInteger(value) || !Number.isSafeInteger(next)) {
        throw new CacheValueError(
          errorMessage(
            "idb",
            `incr of "${key}" failed because its value is not a decimal integer or the sum leaves the safe range`,
            "keep counters apart from other values (the value was left unchanged)",
          ),
        );
      }
      return { result: next, write: { ...record, v: String(next) } };
    });
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const expiresAt = this.#expiry(ttl);
    return mutate(this.#connection, "expire", key, (current) => {
      const record = this.#live(current);
      if (record === undefined) return { result: false };
      return { result: true, write: this.#record(record.v, expiresAt) };
    });
  }

  async getExpire(key: string): Promise<number> {
    const found = await this.#connection.run("getExpire", "readonly", (s) => promisifyRequest(s.get(key)));
    const record = this.#live(found);
    if (record === undefined) return -2;
    return record.e === undefined ? -1 : Math.max(1, Math.ceil(record.e - this.#clock.now()));
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.set(key, token, { ttl, exist: false });
  }

  async unlock(key: string, token: string): Promise<boolean> {
    return mutate(this.#connection, "unlock", key, (current) =>
      this.#live(current)?.v === token ? { result: true, write: null } : { result: false },
    );
  }

  async clear(): Promise<void> {
    await this.#connection.run("clear", "readwrite", (s) => {
      s.clear();
      return promisifyRequest(s.transaction);
    });
  }

  async count(): Promise<number> {
    await this.#sweep();
    return this.#connection.run("count", "readonly", (s) => promisifyRequest(s.count()));
  }

  async ping(message?: string): Promise<string> {
    await this.#connection.run("ping", "readonly", (s) => promisifyRequest(s.get("__isocache__:ping")));
    return message ?? "PONG";
  }

  async close(): Promise<void> {
    await this.#sweeping;
    this.#connection.close();
  }

  /** Deletes every expired record in one readwrite transaction. */
  #sweep(): Promise<void> {
    const now = this.#clock.now();
    this.#sweptAt = now;
    return this.#connection.run("sweep", "readwrite", (s) => {
      const cursor = s.openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (at === null) return;
        const record = toRecord(at.value);
        if (record?.e !== undefined && record.e <= now) at.delete();
        at.continue();
      };
      return promisifyRequest(s.transaction);
    });
  }

  /** Starts a background sweep when the last one is a minute old; its failure only delays the next. */
  #maybeSweep(): void {
    if (this.#sweeping !== undefined || this.#clock.now() - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweeping = this.#sweep()
      .catch(() => undefined)
      .finally(() => {
        this.#sweeping = undefined;
      });
  }

  #live(value: unknown): StoredRecord | undefined {
    const record = toRecord(value);
    if (record === undefined || (record.e !== undefined && record.e <= this.#clock.now())) return undefined;
    return record;
  }

  /** The record to store, or `null` (delete) for a TTL already over, as Redis `PEXPIRE` does. */
  #record(value: string, expiresAt: number | undefined): StoredRecord | null {
    if (expiresAt === undefined) return { v: value };
    return expiresAt <= this.#clock.now() ? null : { v: value, e: expiresAt };
  }

  #expiry(ttl: number | undefined): number | undefined {
    if (ttl === undefined) return undefined;
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
      const problem = `ttl ${String(ttl)} is not a finite number of milliseconds`;
      throw new CacheConfigError(errorMessage("idb", problem, "pass milliseconds, or no ttl for no expiry"));
    }
    return this.#clock.now() + ttl;
  }
}

/**
 * Creates a backend over one IndexedDB object store, through idb-keyval.
 * @example
 * import { idbBackend } from "isocache/backends/idb";
 * cache.setup(idbBackend({ db: "my-app", store: "cache" }));
 */
export function idbBackend(options?: IdbBackendOptions): Backend {
  return new IdbBackend(options);
}
