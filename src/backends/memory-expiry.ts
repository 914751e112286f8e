// Time in the memory backend: a TTL argument turned into an absolute expiry, and the heap of
// the entries that carry one, ordered by it, which the purge reads soonest first.
import { CacheConfigError, errorMessage } from "../core/errors";
import { IndexedMinHeap } from "./_shared/heap";
import type { Entry } from "./memory-entry";

/** The expiry of an entry without TTL. */
export const NO_EXPIRY = Number.POSITIVE_INFINITY;

/** Absolute expiry of a TTL in milliseconds; absent = never. */
export function expiry(ttl: number | undefined, now: number): number {
  if (ttl === undefined) return NO_EXPIRY;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
    const problem = `ttl ${String(ttl)} is not a finite number of milliseconds`;
    throw new CacheConfigError(errorMessage("memory", problem, "pass milliseconds, or no ttl for no expiry"));
  }
  return now + ttl;
}

/**
 * The entries that carry a TTL, soonest expiry first, so a purge looks only at those that have
 * expired (see `MemoryBackend`). An entry without TTL is never in it.
 */
export class ExpiryQueue {
  readonly #heap = new IndexedMinHeap<Entry>((a, b) => a.expiresAt < b.expiresAt);
  /** Entries `expired` examined: one per expired entry found plus one per call that found none. */
  visits = 0;

  /** Entries held. */
  get size(): number {
    return this.#heap.size;
  }

  /** Adds a new entry, if it carries a TTL. */
  add(entry: Entry): void {
    if (entry.expiresAt !== NO_EXPIRY) this.#heap.push(entry);
  }

  /** Gives an entry a new expiry, moving it into, within or out of the queue. */
  retime(entry: Entry, expiresAt: number): void {
    const inHeap = entry.heapIndex >= 0;
    entry.expiresAt = expiresAt;
    if (expiresAt === NO_EXPIRY) this.#heap.remove(entry);
    else if (inHeap) this.#heap.update(entry);
    else this.#heap.push(entry);
  }

  /** Takes an entry out; a no-op for one that is not in. */
  remove(entry: Entry): void {
    this.#heap.remove(entry);
  }

  /** Empties the queue. */
  clear(): void {
    this.#heap.clear();
  }

  /** The soonest entry if it expired by `now` (left in place), else `undefined`; counted in `visits` unless empty. */
  expired(now: number): Entry | undefined {
    const top = this.#heap.peek();
    if (top === undefined) return undefined;
    this.visits++;
    return top.expiresAt > now ? undefined : top;
  }
}
