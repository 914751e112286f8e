// The writes a transaction buffers (as text of their backends' serializers, one key's commands in
// turn), and the commit that applies them past the transaction.
import type { CacheCore } from "../core/cache";
import { settled } from "../core/key-turns";
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

/**
 * `value` as the text the serializer of `key`'s backend makes of it: a staged write keeps what
 * that serializer keeps (a class it knows, say), inside the transaction and through the commit.
 */
export function encodeFor(cache: CacheCore, key: string, value: unknown): string {
  return cache.routeFor(key).codec.serializer.encode(value);
}

/** A staged write's value, by the serializer of `key`'s backend (see `encodeFor`). */
export function decodeFor(cache: CacheCore, key: string, text: string): unknown {
  return cache.routeFor(key).codec.serializer.decode(text);
}

/** Runs `fn` as a command outside the transaction, reporting nothing to the callbacks in scope (its caller does). */
export function outside<T>(cache: CacheCore, fn: () => T): T {
  return cache.withScope({ tx: undefined, callbacks: undefined, brief: true }, fn);
}

/**
 * Applies `writes` to the cache, past the transaction in scope. Every write settles before a
 * failure is thrown, so the locks released after it never let another transaction in while a
 * write of this one is still landing.
 */
export async function commitWrites(cache: CacheCore, writes: ReadonlyMap<string, Write>): Promise<void> {
  const results = await cache.withScope({ tx: undefined, brief: true }, () =>
    Promise.allSettled(
      [...writes].map(async ([key, write]) => {
        if (write.kind === "delete") return cache.delete(key);
        let { ttl, tags } = write;
        if (write.keep) {
          const [left, stored] = await Promise.all([cache.getExpire(key), storedTags(cache, key)]);
          ttl = left > 0 ? left : undefined;
          tags = stored;
        }
        return cache.set(key, decodeFor(cache, key, write.text), { ttl, tags });
      }),
    ),
  );
  for (const result of results) if (result.status === "rejected") throw result.reason;
}

/** Runs `command` on `key` once the commands on `key` that `turns` holds are over, and holds it there. */
export function inTurn<T>(
  turns: Map<string, Promise<void>>,
  key: string,
  command: () => Promise<T>,
): Promise<T> {
  const prior = turns.get(key);
  const done = prior === undefined ? command() : prior.then(command);
  const turn = done.then(settled, settled);
  turns.set(key, turn);
  turn.then(() => {
    if (turns.get(key) === turn) turns.delete(key);
  });
  return done;
}
