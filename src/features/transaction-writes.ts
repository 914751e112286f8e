// The writes a transaction buffers, and the commit that applies them past the transaction.
import type { CacheCore } from "../core/cache";
import { decode } from "../serialization/codec";
import { storedTags } from "./tags";

/** One buffered write, by key. */
export type Write =
  | {
      kind: "set";
      text: string;
      ttl: number | undefined;
      tags: readonly string[] | undefined;
      /** An `incr` of a stored counter: it commits with the TTL and tags the stored record has then. */
      keep: boolean;
    }
  | { kind: "delete" };

/** Runs `fn` as a command outside the transaction, reporting nothing to the callbacks in scope (its caller does). */
export function outside<T>(cache: CacheCore, fn: () => T): T {
  return cache.withScope({ tx: undefined, callbacks: undefined }, fn);
}

/** Applies `writes` to the cache, past the transaction in scope. */
export async function commitWrites(cache: CacheCore, writes: ReadonlyMap<string, Write>): Promise<void> {
  await cache.withScope({ tx: undefined }, () =>
    Promise.all(
      [...writes].map(async ([key, write]) => {
        if (write.kind === "delete") return cache.delete(key);
        let { ttl, tags } = write;
        if (write.keep) {
          const [left, stored] = await Promise.all([cache.getExpire(key), storedTags(cache, key)]);
          ttl = left > 0 ? left : undefined;
          tags = stored;
        }
        return cache.set(key, decode(write.text), { ttl, tags });
      }),
    ),
  );
}
