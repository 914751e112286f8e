// Tags on the write side: their index keys, the checks of a `tags` option, the tags a stored
// record carries, and the index each tagged write joins. `deleteTags` is in `tags-delete.ts`.
import { addMembersOn, NOT_NATIVE, type NotNative } from "../core/atomic";
import type { CacheCore } from "../core/cache";
import { encodeRecord, peekHeader } from "../core/envelope";
import { CacheArgumentError, errorMessage } from "../core/errors";
import { describeKey, INTERNAL_PREFIX, loneSurrogate, wellFormed } from "../core/keys";
import { expiryOf, MISS, readValue, writeValue } from "../core/records";
import type { Route } from "../core/route";

export { INTERNAL_PREFIX };

const TAG_PREFIX = `${INTERNAL_PREFIX}tag:`;

/**
 * The key of the index that lists the keys carrying `tag`. Each backend holds its own index of
 * the tag, listing the tagged keys it stores (the index is written on the tagged key's route, not
 * routed by the tag's name), and `deleteTags` reads the tag's index on every backend. So a tag
 * reaches its keys on a shared backend from every process, whatever routes the tag's name.
 */
export function tagIndexKey(tag: string): string {
  return TAG_PREFIX + tag;
}

/**
 * The `CacheArgumentError` (a `TypeError`) for `tags` that are not an array of well-formed
 * strings, or `undefined` when they are; callers refuse the call with it before anything is
 * written. A lone string is refused, not taken as one tag: the option is typed `string[]`, the
 * strategies refuse a string too, and a tag that is not a string would be stored but never
 * matched by `deleteTags`. A tag with a lone surrogate would be another tag's index on a UTF-8 backend.
 */
export function tagsError(tags: unknown, problem: string, remedy: string): CacheArgumentError | undefined {
  if (Array.isArray(tags) && tags.every((tag) => typeof tag === "string")) {
    const broken = tags.find((tag: string) => !wellFormed(tag));
    return broken === undefined ? undefined : loneSurrogate(undefined, broken, "tag");
  }
  const bad: unknown = Array.isArray(tags) ? tags.find((tag) => typeof tag !== "string") : tags;
  const got =
    typeof bad === "string"
      ? `the string ${JSON.stringify(bad)}`
      : bad === undefined
        ? "undefined"
        : describeKey(bad);
  return new CacheArgumentError(errorMessage(undefined, `${problem}, got ${got}`, remedy));
}

/** `tagsError` for the `tags` option of `command` (`set`, `getOrSet`); `undefined` when absent. */
export function tagsOptionError(tags: unknown, command: string): CacheArgumentError | undefined {
  if (tags === undefined) return undefined;
  return tagsError(
    tags,
    `${command}() \`tags\` must be an array of strings`,
    'pass for example tags: ["items"]',
  );
}

/** The tags in the stored record of `key` (its header), read past the middlewares; `undefined` without any. */
export function storedTags(cache: CacheCore, key: string): Promise<string[] | undefined> {
  return cache
    .routeFor(key)
    .call("getRaw", key, undefined, (backend) => backend.get(key))
    .then((text) => (text === undefined ? undefined : peekHeader(text)?.t));
}

/** `writeIndexed`'s answer when the record was stored but its tags are still to be indexed (`indexTags`). */
export const INDEX_APART: unique symbol = Symbol("isocache.index-apart");

/**
 * A tagged write and its index updates as one backend call where the backend offers `setIndexed`
 * (Upstash: one script, one HTTP request), so the index never misses a stored key even for a
 * moment. `NOT_NATIVE` (nothing written) when the backend is known to lack it or keeps expiry in
 * the record: the caller then writes and indexes apart. The call goes to the backend at once, in
 * its place among the key's commands; a lazy backend that turns out at init to lack `setIndexed`
 * gets the record alone there, and `INDEX_APART` says its tags are still to be indexed.
 */
export function writeIndexed(
  cache: CacheCore,
  key: string,
  value: unknown,
  ttl: number | undefined,
  tags: readonly string[],
  exist: boolean | undefined,
): Promise<boolean | typeof INDEX_APART> | NotNative {
  const route = cache.routeFor(key);
  if (route.envelopeExpiry) return NOT_NATIVE;
  // Known not to have it (a lazy backend gains its methods only at init): no extra hop.
  if (route.initialised && (route.backend.setIndexed === undefined || route.backend.addMembers === undefined))
    return NOT_NATIVE;
  const indexKeys = [...new Set(tags)].map(tagIndexKey);
  // With native expiry the record carries no expiry of its own: what `writeValue` stores too.
  const encoded = encodeRecord(route.codec, key, value, undefined, tags);
  return route.callEncoded<string, boolean | typeof INDEX_APART>(
    "set",
    key,
    encoded,
    false,
    (backend, text) => {
      const options = { ttl: route.nativeTtl(ttl), exist };
      if (backend.setIndexed === undefined || backend.addMembers === undefined)
        return backend.set(key, text, options).then((stored) => (stored ? INDEX_APART : false));
      return backend.setIndexed(key, text, options, indexKeys, ttl);
    },
  );
}

/** Keys waiting to join one tag's index, with the longest TTL asked for each (`undefined` = none). */
interface PendingIndex {
  readonly entries: Map<string, number | undefined>;
  done: Promise<void>;
}

// Per cache, per route (the tagged keys' backend), per tag.
const pending = new WeakMap<CacheCore, WeakMap<Route, Map<string, PendingIndex>>>();

/**
 * Adds `key` to the index of each tag on the backend that stores `key`. The index lists keys in
 * the cache itself, so `deleteTags` reads one index per tag and backend instead of scanning the
 * keyspace. It lives at least as long as its longest-lived member. Where the backend offers sets
 * (`addMembers`: Redis over TCP or HTTP) the index is one, updated atomically across processes;
 * elsewhere it is a list record rewritten under an in-process lock. Concurrent writes with one
 * tag share one update of its index (group commit): over HTTP, 100 tagged writes cost a few
 * index updates, not 100.
 */
export async function indexTags(
  cache: CacheCore,
  key: string,
  tags: readonly string[],
  ttl: number | undefined,
): Promise<void> {
  const route = cache.routeFor(key);
  await Promise.all(tags.map((tag) => enqueue(cache, route, tag, key, ttl)));
}

function enqueue(
  cache: CacheCore,
  route: Route,
  tag: string,
  key: string,
  ttl: number | undefined,
): Promise<void> {
  let byRoute = pending.get(cache);
  if (byRoute === undefined) {
    byRoute = new WeakMap();
    pending.set(cache, byRoute);
  }
  let byTag = byRoute.get(route);
  if (byTag === undefined) {
    byTag = new Map();
    byRoute.set(route, byTag);
  }
  let batch = byTag.get(tag);
  if (batch === undefined) {
    const open: PendingIndex = { entries: new Map(), done: Promise.resolve() };
    const queue = byTag;
    open.done = cache.exclusive(tagIndexKey(tag), async () => {
      // From here on the batch is closed: later writes gather in the next one, which waits for this.
      if (queue.get(tag) === open) queue.delete(tag);
      await addToIndex(cache, route, tagIndexKey(tag), open.entries);
    });
    byTag.set(tag, open);
    batch = open;
  }
  const entries = batch.entries;
  if (!entries.has(key)) entries.set(key, ttl);
  else {
    const earlier = entries.get(key);
    entries.set(key, earlier === undefined || ttl === undefined ? undefined : Math.max(earlier, ttl));
  }
  return batch.done;
}

/** One update of the index on `route`: adds the batch's keys and stretches its TTL to cover theirs. */
async function addToIndex(
  cache: CacheCore,
  route: Route,
  indexKey: string,
  entries: ReadonlyMap<string, number | undefined>,
): Promise<void> {
  let longest: number | undefined = 0;
  for (const wanted of entries.values())
    longest = wanted === undefined || longest === undefined ? undefined : Math.max(longest, wanted);
  if ((await addMembersOn(route, indexKey, [...entries.keys()], longest)) === NOT_NATIVE)
    await rewriteIndex(cache, route, indexKey, entries, longest);
}

/**
 * One member of a list index: its key, or `[key, expiresAt]` (epoch ms on the cache's clock) when
 * its record ends. The expiry lets each rewrite drop members whose records are gone, so the index
 * holds the live tagged keys, not every key ever tagged (each tagged write rewrites it whole).
 */
type ListMember = string | [string, number];

/** The keys a list index names (an index written before members carried expiries lists bare keys). */
export function listedKeys(members: unknown): string[] {
  return Array.isArray(members) ? [...listedMembers(members).keys()] : [];
}

/** A list index's members with their expiries (`undefined`: none), members not valid skipped. */
function listedMembers(members: readonly unknown[]): Map<string, number | undefined> {
  const listed = new Map<string, number | undefined>();
  for (const member of members) {
    if (typeof member === "string") listed.set(member, undefined);
    else if (Array.isArray(member) && typeof member[0] === "string" && typeof member[1] === "number")
      listed.set(member[0], member[1]);
  }
  return listed;
}

/** `addToIndex` as a read-modify-write of a list record, for backends without sets. */
async function rewriteIndex(
  cache: CacheCore,
  route: Route,
  indexKey: string,
  entries: ReadonlyMap<string, number | undefined>,
  ttl: number | undefined,
): Promise<void> {
  const [current, expiry] = await Promise.all([
    readValue(route, cache.clock, indexKey),
    expiryOf(route, cache.clock, indexKey),
  ]);
  const left = current === MISS ? 0 : expiry;
  const keep = ttl === undefined || left === -1 ? undefined : Math.max(ttl, left);
  const now = cache.clock.now();
  const members = listedMembers(Array.isArray(current) ? current : []);
  let changed = false;
  for (const [key, at] of members) {
    if (at === undefined || at > now) continue;
    members.delete(key);
    changed = true;
  }
  for (const [key, wanted] of entries) {
    // A member ends with the latest of its records' expiries: dropped no earlier than its record.
    const at = wanted === undefined ? undefined : now + wanted;
    const known = members.get(key);
    if (members.has(key) && (known === undefined || (at !== undefined && at <= known))) continue;
    members.set(key, at);
    changed = true;
  }
  if (!changed && (keep === undefined ? left === -1 : left >= keep)) return;
  const list: ListMember[] = [...members].map(([key, at]) => (at === undefined ? key : [key, at]));
  await writeValue(route, cache.clock, indexKey, list, keep, undefined, undefined);
}
