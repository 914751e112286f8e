// A memory backend's entry and the work on one entry's text that needs none of the store's
// state: making an entry, a counter's next value, and picking the keys a scan yields.
import { CacheArgumentError, CacheValueError, errorMessage } from "../core/errors";

/**
 * A live entry as the core's synchronous read path sees it: the stored text, and a slot where
 * the core may keep the value it decoded from that text (cleared whenever the text changes),
 * with who kept it (caches sharing the backend may decode or copy differently).
 */
export interface MemorySlot {
  readonly value: string;
  decoded: unknown;
  keeper: unknown;
}

/** An entry of the store: its slot, its expiry, its place in the heap and in recency order. */
export interface Entry extends MemorySlot {
  readonly key: string;
  value: string;
  /** Milliseconds since the epoch; `Infinity` without TTL. */
  expiresAt: number;
  heapIndex: number;
  /** Neighbours in recency order. */
  older: Entry | undefined;
  newer: Entry | undefined;
}

const INTEGER = /^-?\d+$/;

/** A new entry, in no heap and no list yet; every entry is made here, so all share one shape. */
export function newEntry(key: string, value: string, expiresAt: number): Entry {
  return {
    key,
    value,
    decoded: undefined,
    keeper: undefined,
    expiresAt,
    heapIndex: -1,
    older: undefined,
    newer: undefined,
  };
}

/** Throws unless `by` is a step `incr` can add. */
export function checkStep(by: number): void {
  if (!Number.isSafeInteger(by)) {
    throw new CacheArgumentError(
      errorMessage("memory", `incr by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
    );
  }
}

/** The counter stored as `value` at `key` plus `by`; throws when `value` is no counter or the sum leaves the safe range. */
export function incremented(key: string, value: string, by: number): number {
  const current = INTEGER.test(value) ? Number(value) : Number.NaN;
  // `|| 0` turns -0 (from a stored "-0") into 0.
  const next = current + by || 0;
  if (!Number.isSafeInteger(current) || !Number.isSafeInteger(next)) {
    const problem = `incr of "${key}" failed because its value is not a decimal integer or the sum leaves the safe range`;
    throw new CacheValueError(
      errorMessage("memory", problem, "keep counters apart from other values (the value was left unchanged)"),
    );
  }
  return next;
}

/** The keys of the entries from `oldest` on, newer ones after, unexpired at `now`, that start with `prefix` and match `regexp`. */
export function matchingKeys(
  oldest: Entry | undefined,
  now: number,
  prefix: string,
  regexp: RegExp,
): string[] {
  const matches: string[] = [];
  for (let entry = oldest; entry !== undefined; entry = entry.newer) {
    if (entry.expiresAt > now && entry.key.startsWith(prefix) && regexp.test(entry.key))
      matches.push(entry.key);
  }
  return matches;
}
