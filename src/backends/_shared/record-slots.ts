// What ./record-backend knows about one stored name, as pure helpers: where a key lives (its
// slot), the live record in a slot's text, which texts a `shared` backend may remove, which names
// a key can have, and the bounded-concurrency test `count` runs over names.
import { decodeKey, encodeKey, isHashedName, keyName } from "./key-names";
import { parseRecord, type StoredRecord } from "./stored-record";

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

// What a backend may remove: with `shared`, only a record or an empty text (a record whose
// rename outran its data at a power loss), never a user's file or a directory (for which
// `readText` gives `undefined`, and which Deno's unlink would remove when empty).
/** True when a backend may remove `text`; anything goes without `shared`. */
export function isOwnText(text: string | undefined, shared: boolean): boolean {
  return !shared || (text !== undefined && (text === "" || parseRecord(text) !== undefined));
}

/** True for a name `keyName` can give: a plain encoding or a hashed name. */
export function isRecordName(name: string): boolean {
  return decodeKey(name) !== undefined || isHashedName(name);
}

/** Reads at once when counting: about twice as fast as one at a time on a local disk, and few file handles. */
const COUNT_READS = 16;

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
