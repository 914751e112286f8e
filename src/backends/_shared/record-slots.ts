// What ./record-backend knows about one stored name, as pure helpers: where a key lives (its
// slot), the live record in a slot's text, which texts a `shared` backend may remove, which names
// a key can have, and the bounded-concurrency test `count` runs over names.
import { decodeKey, encodeKey, isHashedName, keyName } from "./key-names";
import { isRecordText, parseRecord, type StoredRecord } from "./stored-record";

/** Where a key lives: its storage name, and for a hashed name the full encoded key stored inside. */
export interface Slot {
  readonly name: string;
  readonly encoded: string | undefined;
}

/** The slot of `key`. */
export async function slotOf(key: string): Promise<Slot> {
  const name = await keyName(key);
  return { name, encoded: isHashedName(name) ? encodeKey(key) : undefined };
}

/** The record in a slot's `text` when it is the slot's own and still live at `now` (milliseconds). */
export function liveRecord(slot: Slot, text: string | undefined, now: number): StoredRecord | undefined {
  if (text === undefined) return undefined;
  const record = parseRecord(text);
  // Text that is no record (foreign, or truncated by a crash) or that belongs to another key reads as a miss.
  if (record === undefined || record.key !== slot.encoded) return undefined;
  return record.expiresAt > now ? record : undefined;
}

/** What a slot holds, for a write: nothing, text the backend may replace and remove, or someone else's. */
export type Holder = "none" | "own" | "foreign";

// With `shared`, the backend's own texts are its records, also cut short or corrupt (a record
// whose rename outran its data at a power loss is empty): `isRecordText`. Anything else is a
// user's file, which no write replaces and nothing removes; a directory reads as `undefined`
// (nothing), so it is never removed either (Deno's unlink would remove an empty one).
/** The holder of a slot's `text` (its first bytes will do); without `shared` the storage is all the backend's. */
export function holderOf(text: string | undefined, shared: boolean): Holder {
  if (!shared) return "own";
  if (text === undefined) return "none";
  return isRecordText(text) ? "own" : "foreign";
}

/**
 * Thrown by a write that would replace someone else's text under `name`; subclasses' `failure`
 * says what to do. `what` names the entry when the storage can tell ("a named pipe").
 */
export class ForeignRecord extends Error {
  constructor(
    readonly name: string,
    readonly what?: string,
  ) {
    super(name);
  }
}

/** True for a name `keyName` can give: a plain encoding or a hashed name. */
export function isRecordName(name: string): boolean {
  return decodeKey(name) !== undefined || isHashedName(name);
}

/** Reads at once when counting: few file handles, and more at once saved little on a local disk (10k files, Node 20). */
const COUNT_READS = 32;

/** How many of `items` pass `test`, up to `COUNT_READS` tests running at once; the first failure stops all. */
export async function countWhere<T>(
  items: readonly T[],
  test: (item: T) => Promise<boolean>,
): Promise<number> {
  let count = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    try {
      for (let item = items[next++]; item !== undefined; item = items[next++]) if (await test(item)) count++;
    } catch (error) {
      next = items.length;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(COUNT_READS, items.length) }, worker));
  return count;
}
