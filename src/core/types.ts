/**
 * What a backend can do natively. The core reads these flags once at setup and emulates
 * whatever is missing (expiry through the stored envelope, counters and locks through
 * read-modify-write).
 */
export interface BackendCapabilities {
  /** The backend expires keys by itself. */
  readonly nativeTtl: boolean;
  /** Smallest TTL the backend accepts natively, in milliseconds (Workers KV: 60000); 0 = any. */
  readonly minTtlMs: number;
  /** Longest key in UTF-8 bytes; 0 = unlimited. */
  readonly maxKeyBytes: number;
  /** `incr`, `setLock`/`unlock` and `set` with `exist` are atomic across processes. */
  readonly atomic: boolean;
  /** `strong`: a write is visible to the next read everywhere; `eventual`: maybe later. */
  readonly consistency: "strong" | "eventual";
  /** The backend reports writes and deletes made by other processes through `onInvalidate` (Redis with tracking). */
  readonly invalidations?: boolean;
  /**
   * `false` when commands sent one after another may reach the store in another order (each an
   * HTTP request, on connections of their own): the core then sends a key's next command only
   * once the one before is answered (or timed out). Absent: sent in order, applied in order.
   */
  readonly ordered?: boolean;
}

/** Receives the keys another process changed or deleted; `undefined` means "any key may have changed" (a reconnect, a flush). */
export type InvalidationListener = (key: string | undefined) => void;

/** A value with the milliseconds it has left (`-1`: no expiry), as `Backend.getWithExpire` returns it. */
export interface ValueWithExpire {
  readonly value: string;
  /** Milliseconds left, `-1` without expiry. */
  readonly ttl: number;
}

/** What `Backend.slideWindow` reports about one attempt to enter a sliding window. */
export interface SlidingWindowHit {
  /** `true` when the call was admitted and recorded. */
  readonly allowed: boolean;
  /** Calls in the window after this attempt (the new one included when admitted). */
  readonly count: number;
  /** Time (epoch ms, as passed in `nowMs`) of the oldest call still in the window; `nowMs` when empty. */
  readonly oldestMs: number;
}

/** What `Backend.invalidateTag` did: the members it deleted and those it does not hold. */
export interface TagInvalidation {
  /** Members whose record still listed the tag, now deleted. */
  readonly deleted: readonly string[];
  /** Members with no record here (expired, or kept by another backend of the cache). */
  readonly absent: readonly string[];
}

/** Options of `Backend.set`. */
export interface BackendSetOptions {
  /** Time to live in milliseconds; absent = no expiry. */
  ttl?: number | undefined;
  /** `false`: store only if absent; `true`: store only if present; absent: always. */
  exist?: boolean | undefined;
}

/**
 * The storage port every backend implements. Keys are final (prefixes already applied), values
 * are opaque strings built by the core. A miss is `undefined`. Durations are milliseconds.
 * Connections open lazily on first use, never in the constructor.
 */
export interface Backend {
  /** Backend name, equal to its file name (`memory`, `redis`, `upstash`, ...). */
  readonly name: string;
  /** What the backend does natively. */
  readonly capabilities: BackendCapabilities;

  /** Opens connections; the core calls it once before the first command, even when concurrent. */
  init?(): Promise<void>;
  /** Releases connections and timers. */
  close?(): Promise<void>;

  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: BackendSetOptions): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  /** Every key matching a Redis glob (`*`, `?`, `[ab]`, `\\x` escapes). */
  scan(pattern: string): AsyncIterable<string>;
  /**
   * Adds `by` (a safe integer) to an integer stored as decimal text; creates it with `ttl` when
   * missing. Throws `CacheValueError` on a non-integer, and on a sum outside ±`Number.MAX_SAFE_INTEGER`,
   * leaving the value as it was (the core refuses an answer outside that range).
   */
  incr(key: string, by: number, ttl?: number): Promise<number>;
  /** Sets a TTL in milliseconds on an existing key; `false` when missing. */
  expire(key: string, ttl: number): Promise<boolean>;
  /** Milliseconds left, `-1` without expiry, `-2` when missing. */
  getExpire(key: string): Promise<number>;
  /** Removes every key of this backend. */
  clear(): Promise<void>;
  /** Number of keys held (expired ones may be counted until purged). */
  count(): Promise<number>;
  ping(message?: string): Promise<string>;

  /** Optional batch read; the core loops over `get` when absent. */
  getMany?(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** Optional batch write; the core loops over `set` when absent. */
  setMany?(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void>;
  /** Optional batch delete; the core loops over `delete` when absent. */
  deleteMany?(keys: readonly string[]): Promise<number>;
  /** Optional atomic lock: store `token` only if absent. The core uses `set(..., { exist: false })` when absent. */
  setLock?(key: string, token: string, ttl: number): Promise<boolean>;
  /** Optional atomic compare-and-delete; the core emulates it with get + delete when absent. */
  unlock?(key: string, token: string): Promise<boolean>;
  /**
   * Optional atomic "stored, or lock": when `key` holds a value, returns it with its TTL and
   * takes nothing; else takes the lock `lockKey` as `setLock` does and returns whether it did.
   * Saves `lock: true` the read after taking a lock; the core uses `setLock` then `get` when absent.
   */
  lockUnlessStored?(
    lockKey: string,
    key: string,
    token: string,
    ttl: number,
  ): Promise<ValueWithExpire | boolean>;
  /**
   * Optional atomic compare-and-set: stores `value` only while `key` holds exactly `expected`,
   * with `ttl` ms, or keeping the TTL the key has when `ttl` is `undefined`; `true` when stored.
   * The core's read-and-rewrite `incr` (signed, tagged or fractional counters) uses it to stay
   * atomic across processes, retrying when another write came between; without it that `incr`
   * is serialised within one cache only.
   */
  replace?(key: string, expected: string, value: string, ttl?: number): Promise<boolean>;
  /** Optional read of a value and its TTL in one round trip; tiers fall back to `get` + `getExpire` when absent. */
  getWithExpire?(key: string): Promise<ValueWithExpire | undefined>;
  /**
   * Optional atomic sliding-window admission: drops the times at or before `nowMs - windowMs`
   * under `key`, records `nowMs` when fewer than `limit` remain and keeps the key `windowMs`
   * after the last admitted call. The core keeps a list record under `key` when absent.
   */
  slideWindow?(key: string, nowMs: number, windowMs: number, limit: number): Promise<SlidingWindowHit>;
  /**
   * Optional atomic set insert: adds `members` to the set under `key`; without `ttl` the set no
   * longer expires, with one it lives at least `ttl` ms (a set without expiry keeps none). The
   * members are keys of this backend (the set is a tag index): an insert may drop members whose
   * key no longer exists, so the set stays near the size of its live keys. A backend offering it
   * offers `removeMembers` and `members` too; the core keeps a list record when absent.
   */
  addMembers?(key: string, members: readonly string[], ttl?: number): Promise<void>;
  /** Optional atomic set removal (see `addMembers`); returns how many were members. An emptied set is deleted. */
  removeMembers?(key: string, members: readonly string[]): Promise<number>;
  /** Optional: the members of the set under `key` (see `addMembers`), `[]` when missing. */
  members?(key: string): Promise<string[]>;
  /**
   * Optional, with the set methods: in one atomic step, deletes each member of the set under
   * `indexKey` whose record header still lists `tag`, then the set itself. The core reads the
   * members and their records and deletes them in separate calls when absent.
   */
  invalidateTag?(indexKey: string, tag: string): Promise<TagInvalidation>;
  /**
   * Optional, with the set methods: `set`, then, when it stored, `addMembers(indexKey, [key],
   * indexTtl)` for each of `indexKeys`, as one atomic step. The core makes the calls apart when absent.
   */
  setIndexed?(
    key: string,
    value: string,
    options: BackendSetOptions,
    indexKeys: readonly string[],
    indexTtl: number | undefined,
  ): Promise<boolean>;
  /**
   * Optional: calls `listener` whenever another process changes or deletes a key of this backend
   * (only when `capabilities.invalidations`); returns the function that stops it. Tiers use it to
   * evict their local copies. Register before `init` so the connection opens with tracking on.
   */
  onInvalidate?(listener: InvalidationListener): () => void;
}
