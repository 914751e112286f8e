// The record the IndexedDB backend stores per key, and read-modify-write in one transaction.
import { promisifyRequest } from "idb-keyval";
import type { IdbConnection } from "./idb-connection";

/** What the backend stores per key: the core's text `v` and the expiry `e` in epoch ms, if any. */
export interface StoredRecord {
  v: string;
  e?: number;
}

/** What a read-modify-write decided: its result, and the record to write (`null` deletes; absent keeps). */
export interface Change<T> {
  result: T;
  write?: StoredRecord | null;
}

/** The record in a stored value; a bare string (written by plain idb-keyval) counts as one without expiry. */
export function toRecord(value: unknown): StoredRecord | undefined {
  if (typeof value === "string") return { v: value };
  if (typeof value !== "object" || value === null) return undefined;
  const { v, e } = value as { v?: unknown; e?: unknown };
  if (typeof v !== "string") return undefined;
  return typeof e === "number" ? { v, e } : { v };
}

/**
 * Reads `key`, lets `decide` choose, and applies its write, all in one readwrite transaction;
 * resolves with the result once the transaction has committed. A throwing `decide` aborts it.
 */
export function mutate<T>(
  connection: IdbConnection,
  command: string,
  key: string,
  decide: (current: unknown) => Change<T>,
): Promise<T> {
  return mutateMany(connection, command, [key], decide).then((results) => results[0] as T);
}

/** `mutate` for several keys in one transaction: all writes commit together or none does. */
export function mutateMany<T>(
  connection: IdbConnection,
  command: string,
  keys: readonly string[],
  decide: (current: unknown) => Change<T>,
): Promise<T[]> {
  return connection.run(command, "readwrite", (store) => {
    const results: T[] = new Array(keys.length);
    let failure: unknown;
    keys.forEach((key, at) => {
      const read = store.get(key);
      read.onsuccess = () => {
        if (failure !== undefined) return;
        try {
          const change = decide(read.result);
          results[at] = change.result;
          if (change.write === null) store.delete(key);
          else if (change.write !== undefined) store.put(change.write, key);
        } catch (error) {
          failure = error;
          store.transaction.abort();
        }
      };
    });
    return promisifyRequest(store.transaction).then(
      () => results,
      (error: unknown) => {
        throw failure ?? error;
      },
    );
  });
}
