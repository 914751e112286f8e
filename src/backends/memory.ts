import type { Clock } from "../core/clock";
import type { Backend, BackendSetOptions } from "../core/types";
import { parseGlob } from "./_shared/glob";
import { checkStep, type Entry, incremented, type MemorySlot, matchingKeys, newEntry } from "./memory-entry";
import { ExpiryQueue, expiry, NO_EXPIRY } from "./memory-expiry";
import {
  MEMORY_CAPABILITIES,
  type MemoryBackendOptions,
  type MemoryBackendStats,
  memoryClock,
  memorySize,
} from "./memory-options";

export type { MemorySlot } from "./memory-entry";
export type { MemoryBackendOptions, MemoryBackendStats } from "./memory-options";

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
  readonly capabilities = MEMORY_CAPABILITIES;
  readonly #map = new Map<string, Entry>();
  readonly #expiring = new ExpiryQueue();
  readonly #size: number;
  readonly #clock: Clock;
  // Recency lives in a linked list, not in the Map's order: deleting and re-adding a key on every
  // read leaves tombstones in V8's hash chains, and a hot key then costs O(size) per lookup.
  #oldest: Entry | undefined;
  #newest: Entry | undefined;
  #evictions = 0;
  #expirations = 0;

  constructor(options: MemoryBackendOptions = {}) {
    this.#size = memorySize(options);
    this.#clock = memoryClock(options);
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
    const matches = matchingKeys(this.#oldest, now, prefix, regexp);
    for (const key of matches) if (this.#live(key) !== undefined) yield key;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    checkStep(by);
    const now = this.#clock.now();
    const expiresAt = expiry(ttl, now);
    this.#purge(now);
    const entry = this.#map.get(key);
    if (entry === undefined) {
      this.#write(key, String(by), expiresAt, now);
      return by;
    }
    const next = incremented(key, entry.value, by);
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
    else this.#expiring.retime(entry, expiresAt);
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
    this.#expiring.clear();
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
      expiring: this.#expiring.size,
      evictions: this.#evictions,
      expirations: this.#expirations,
      purgeVisits: this.#expiring.visits,
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
      this.#expiring.retime(entry, expiresAt);
      this.#touch(entry);
    } else {
      this.#insert(newEntry(key, value, expiresAt));
    }
  }

  #insert(entry: Entry): void {
    this.#expiring.add(entry);
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
    this.#expiring.remove(entry);
    this.#unlink(entry);
  }

  #expire(entry: Entry): void {
    this.#drop(entry);
    this.#expirations++;
  }

  /** Removes every expired entry, soonest first; stops at the first live one. */
  #purge(now: number): void {
    const expiring = this.#expiring;
    for (let top = expiring.expired(now); top !== undefined; top = expiring.expired(now)) this.#expire(top);
  }
}

/**
 * Creates an in-memory backend: an LRU bounded by entry count with per-key TTLs, no timers.
 * @example const backend = memoryBackend({ size: 1000 }); await backend.set("a", "1", { ttl: 5000 });
 */
export function memoryBackend(options?: MemoryBackendOptions): Backend {
  return new MemoryBackend(options);
}
