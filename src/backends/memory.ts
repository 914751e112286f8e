import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheArgumentError, CacheConfigError, CacheValueError, errorMessage } from "../core/errors";
import type { Backend, BackendCapabilities, BackendSetOptions } from "../core/types";
import { parseGlob } from "./_shared/glob";
import { IndexedMinHeap } from "./_shared/heap";

/** Options of `memoryBackend`. */
export interface MemoryBackendOptions {
  /** Most entries held before the least recently used one is evicted; a positive integer, default 10_000. */
  size?: number;
  /** Time source (milliseconds since the epoch); default `systemClock`. Inject a fake one to test TTLs. */
  clock?: Clock;
}

/** Counters of a memory backend, for tests and diagnostics. */
export interface MemoryBackendStats {
  /** Entries held, including expired ones not purged yet. */
  readonly entries: number;
  /** Entries that carry a TTL. */
  readonly expiring: number;
  /** Live entries dropped to stay within `size`. */
  readonly evictions: number;
  /** Expired entries removed, by the purge or on access. */
  readonly expirations: number;
  /** Entries the purge examined: one per expired entry removed plus one per purge that found work left for later. */
  readonly purgeVisits: number;
}

/**
 * A live entry as the core's synchronous read path sees it: the stored text, and a slot where
 * the core may keep the value it decoded from that text (cleared whenever the text changes).
 */
export interface MemorySlot {
  readonly value: string;
  decoded: unknown;
}

interface Entry extends MemorySlot {
  readonly key: string;
  value: string;
  /** Milliseconds since the epoch; `Infinity` without TTL. */
  expiresAt: number;
  heapIndex: number;
  /** Neighbours in recency order. */
  older: Entry | undefined;
  newer: Entry | undefined;
}

const NO_EXPIRY = Number.POSITIVE_INFINITY;
const DEFAULT_SIZE = 10_000;
const INTEGER = /^-?\d+$/;
const CAPABILITIES: BackendCapabilities = Object.freeze({
  nativeTtl: true,
  minTtlMs: 0,
  maxKeyBytes: 0,
  atomic: true,
  consistency: "strong",
});

/**
 * An in-process LRU cache with millisecond TTLs. Expired entries are dropped when touched and
 * purged on writes from a heap ordered by expiry, so a purge costs O(expired · log n) and O(1)
 * when nothing expired; no timer ever runs. `get`, `getMany`, `set`, `incr` and `setLock` make
 * an entry most recently used; `exists`, `getExpire` and `expire` do not. A TTL of 0 or less
 * expires the key at once (as Redis `PEXPIRE` does).
 */
export class MemoryBackend implements Backend {
  /** Always `"memory"`. */
  readonly name = "memory";
  /** Native TTL, atomic counters and locks, strong consistency, no key limit. */
  readonly capabilities = CAPABILITIES;
  readonly #map = new Map<string, Entry>();
  readonly #heap = new IndexedMinHeap<Entry>((a, b) => a.expiresAt < b.expiresAt);
  readonly #size: number;
  readonly #clock: Clock;
  // Recency lives in a linked list, not in the Map's order: deleting and re-adding a key on every
  // read leaves tombstones in V8's hash chains, and a hot key then costs O(size) per lookup.
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #evictions = 0;
  #expirations = 0;
  #purgeVisits = 0;

  constructor(options: MemoryBackendOptions = {}) {
    const size = options.size ?? DEFAULT_SIZE;
    if (!Number.isSafeInteger(size) || size < 1) {
      const problem = `size ${String(size)} is not a positive integer`;
      throw new CacheConfigError(
        errorMessage("memory", problem, "pass the most entries to keep, such as 10000"),
      );
    }
    const clock = options.clock ?? systemClock;
    if (typeof clock.now !== "function") {
      throw new CacheConfigError(errorMessage("memory", "clock has no now()", "pass { now: () => ms }"));
    }
    this.#size = size;
    this.#clock = clock;
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.#read(key)?.value);
  }

  /** Synchronous read for the core's hot path: the live entry, made most recently used as `get` does. */
  readSlot(key: string): MemorySlot | undefined {
    return this.#read(key);
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return Promise.resolve(keys.map((key) => this.#read(key)?.value));
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const now = this.#clock.now();
    const expiresAt = expiry(options?.ttl, now);
    this.#purge(now);
    const exist = options?.exist;
    if (exist !== undefined && this.#map.has(key) !== exist) return false;
    this.#write(key, value, expiresAt, now);
    return true;
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    const now = this.#clock.now();
    const expiresAt = expiry(ttl, now);
    this.#purge(now);
    for (const [key, value] of entries) this.#write(key, value, expiresAt, now);
  }

  async delete(key: string): Promise<boolean> {
    this.#purge(this.#clock.now());
    return this.#remove(key);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    this.#purge(this.#clock.now());
    let removed = 0;
    for (const key of keys) if (this.#remove(key)) removed++;
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    return this.#live(key) !== undefined;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const { literal, prefix, regexp } = parseGlob(pattern);
    if (literal) {
      if (this.#live(prefix) !== undefined) yield prefix;
      return;
    }
    const now = this.#clock.now();
    // Matches are collected before the first yield, so a caller deleting keys meanwhile is safe.
    const matches: string[] = [];
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) {
      if (entry.expiresAt > now && entry.key.startsWith(prefix) && regexp.test(entry.key))
        matches.push(entry.key);
    }
    for (const key of matches) if (this.#live(key) !== undefined) yield key;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      throw new CacheArgumentError(
        errorMessage("memory", `incr by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
      );
    }
    const now = this.#clock.now();
    const expiresAt = expiry(ttl, now);
    this.#purge(now);
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.#write(key, String(by), expiresAt, now);
      return by;
    }
    const current = INTEGER.test(entry.value) ? Number(entry.value) : Number.NaN;
    // `|| 0` turns -0 (from a stored "-0") into 0.
    const next = current + by || 0;
    if (!Number.isSafeInteger(current) || !Number.isSafeInteger(next)) {
      const problem = `incr of "${key}" failed because its value is not a decimal integer or the sum leaves the safe range`;
      throw new CacheValueError(
        errorMessage(
          "memory",
          problem,
          "keep counters apart from other values (the value was left unchanged)",
        ),
      );
    }
    entry.value = String(next);
    entry.decoded = undefined;
    this.#touch(entry);
    return next;
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const now = this.#clock.now();
    const expiresAt = expiry(ttl, now);
    this.#purge(now);
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    if (expiresAt <= now) this.#drop(entry);
    else this.#retime(entry, expiresAt);
    return true;
  }

  async getExpire(key: string): Promise<number> {
    const now = this.#clock.now();
    const entry = this.#live(key, now);
    if (entry === undefined) return -2;
    return entry.expiresAt === NO_EXPIRY ? -1 : Math.ceil(entry.expiresAt - now);
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    const now = this.#clock.now();
    const expiresAt = expiry(ttl, now);
    this.#purge(now);
    if (this.#map.has(key)) return false;
    this.#write(key, token, expiresAt, now);
    return true;
  }

  async unlock(key: string, token: string): Promise<boolean> {
    const entry = this.#live(key);
    if (entry === undefined || entry.value !== token) return false;
    this.#drop(entry);
    return true;
  }

  async clear(): Promise<void> {
    this.#map.clear();
    this.#heap.clear();
    this.#oldest = undefined;
    this.#newest = undefined;
  }

  async count(): Promise<number> {
    this.#purge(this.#clock.now());
    return this.#map.size;
  }

  async ping(message?: string): Promise<string> {
    return message ?? "PONG";
  }

  async close(): Promise<void> {}

  /** Counters for tests and diagnostics; reading them changes nothing. */
  stats(): MemoryBackendStats {
    return {
      entries: this.#map.size,
      expiring: this.#heap.size,
      evictions: this.#evictions,
      expirations: this.#expirations,
      purgeVisits: this.#purgeVisits,
    };
  }

  /** The live entry made most recently used, or `undefined`; the hot path of `get`. */
  #read(key: string): Entry | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== NO_EXPIRY && entry.expiresAt <= this.#clock.now()) {
      this.#expire(entry);
      return undefined;
    }
    this.#touch(entry);
    return entry;
  }

  /** The live entry, recency unchanged; an expired one found on the way is dropped. */
  #live(key: string, now?: number): Entry | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== NO_EXPIRY && entry.expiresAt <= (now ?? this.#clock.now())) {
      this.#expire(entry);
      return undefined;
    }
    return entry;
  }

  /** Stores a value with an absolute expiry; the caller has purged, so a key in the map is live. */
  #write(key: string, value: string, expiresAt: number, now: number): void {
    const entry = this.#map.get(key);
    if (expiresAt <= now) {
      if (entry !== undefined) this.#drop(entry);
    } else if (entry !== undefined) {
      entry.value = value;
      entry.decoded = undefined;
      this.#retime(entry, expiresAt);
      this.#touch(entry);
    } else {
      this.#insert({
        key,
        value,
        decoded: undefined,
        expiresAt,
        heapIndex: -1,
        older: undefined,
        newer: undefined,
      });
    }
  }

  #insert(entry: Entry): void {
    if (entry.expiresAt !== NO_EXPIRY) this.#heap.push(entry);
    this.#map.set(entry.key, entry);
    this.#append(entry);
    if (this.#map.size > this.#size) {
      this.#drop(this.#oldest as Entry);
      this.#evictions++;
    }
  }

  #remove(key: string): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined) return false;
    this.#drop(entry);
    return true;
  }

  #retime(entry: Entry, expiresAt: number): void {
    const inHeap = entry.heapIndex >= 0;
    entry.expiresAt = expiresAt;
    if (expiresAt === NO_EXPIRY) this.#heap.remove(entry);
    else if (inHeap) this.#heap.update(entry);
    else this.#heap.push(entry);
  }

  /** Makes an entry the most recently used. */
  #touch(entry: Entry): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    this.#append(entry);
  }

  #append(entry: Entry): void {
    const newest = this.#newest;
    entry.older = newest;
    entry.newer = undefined;
    if (newest === undefined) this.#oldest = entry;
    else newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry): void {
    const { older, newer } = entry;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  #drop(entry: Entry): void {
    this.#map.delete(entry.key);
    this.#heap.remove(entry);
    this.#unlink(entry);
  }

  #expire(entry: Entry): void {
    this.#drop(entry);
    this.#expirations++;
  }

  /** Removes every expired entry, soonest first; stops at the first live one. */
  #purge(now: number): void {
    const heap = this.#heap;
    for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
      this.#purgeVisits++;
      if (top.expiresAt > now) return;
      this.#expire(top);
    }
  }
}

/**
 * Creates an in-memory backend: an LRU bounded by entry count with per-key TTLs, no timers.
 * @example const backend = memoryBackend({ size: 1000 }); await backend.set("a", "1", { ttl: 5000 });
 */
export function memoryBackend(options?: MemoryBackendOptions): Backend {
  return new MemoryBackend(options);
}

/** Absolute expiry of a TTL in milliseconds; absent = never. */
function expiry(ttl: number | undefined, now: number): number {
  if (ttl === undefined) return NO_EXPIRY;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
    const problem = `ttl ${String(ttl)} is not a finite number of milliseconds`;
    throw new CacheConfigError(errorMessage("memory", problem, "pass milliseconds, or no ttl for no expiry"));
  }
  return now + ttl;
}
