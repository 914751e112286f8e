// What a transaction sees of many keys at once (`scan`, `getMatch`, `getKeysCount`): the stored
// keys with its own buffered writes laid over them.
import { globToRegExp } from "../backends/_shared/glob";
import type { CacheCore } from "../core/cache";
import { assertPattern, INTERNAL_PREFIX } from "../core/keys";
import { MISS } from "../core/records";
import { isDisabled } from "../core/scope";
import { decodeFor, outside, type Write } from "./transaction-writes";

/** `writes` and the checks of the transaction they belong to. */
export interface Staged {
  readonly cache: CacheCore;
  readonly writes: ReadonlyMap<string, Write>;
  /** Throws `TransactionError` once the transaction has ended. */
  check(): void;
}

/** `scan` as the transaction sees it: the stored keys it has not written, then those it set. */
export function scanStaged(staged: Staged, pattern: string): AsyncGenerator<string> {
  return merge(
    staged,
    "scan",
    pattern,
    (cache) => cache.scan(pattern),
    (key) => key,
    (key) => key,
  );
}

/** `getMatch` as the transaction sees it (see `scanStaged`). */
export function getMatchStaged(staged: Staged, pattern: string): AsyncGenerator<[string, unknown]> {
  return merge(
    staged,
    "getMatch",
    pattern,
    (cache) => cache.getMatch(pattern),
    (entry) => entry[0],
    (key, text) => [key, decodeFor(staged.cache, key, text)],
  );
}

async function* merge<E>(
  staged: Staged,
  command: string,
  pattern: string,
  stored: (cache: CacheCore) => AsyncIterable<E>,
  keyOf: (entry: E) => string,
  own: (key: string, text: string) => E,
): AsyncGenerator<E> {
  assertPattern(pattern);
  const { cache, writes } = staged;
  if (isDisabled(cache.scope(), command)) return;
  staged.check();
  const matcher = globToRegExp(pattern);
  const hideInternal = !pattern.startsWith(INTERNAL_PREFIX);
  const written = [...writes.keys()].filter(
    (key) => matcher.test(key) && !(hideInternal && key.startsWith(INTERNAL_PREFIX)),
  );
  for await (const entry of cache.withScope({ tx: undefined, brief: true }, () => stored(cache))) {
    if (!writes.has(keyOf(entry))) yield entry;
  }
  for (const key of written) {
    const write = writes.get(key);
    if (write?.kind === "set") yield own(key, write.text);
  }
}

/** `getKeysCount` as the transaction sees it: `stored` (the count outside) with its own sets and deletes. */
export async function countStaged(staged: Staged, stored: () => Promise<number>): Promise<number> {
  staged.check();
  const { cache } = staged;
  const writes = [...staged.writes];
  const [count, found] = await Promise.all([
    outside(cache, stored),
    Promise.all(writes.map(([key]) => cache.read(key))),
  ]);
  let total = count;
  for (let at = 0; at < writes.length; at++) {
    const kind = writes[at]?.[1].kind;
    const present = found[at] !== MISS;
    if (kind === "set" && !present) total++;
    else if (kind === "delete" && present) total--;
  }
  return total;
}
