// `deleteTags`: the keys each tag's index lists, on every backend, deleted where their record (or
// the transaction's write) still carries the tag, then the index itself.
import { invalidateTagOn, membersOn, NOT_NATIVE, removeMembersOn } from "../core/atomic";
import type { CacheCore } from "../core/cache";
import { peekHeader } from "../core/envelope";
import { MISS, readValue } from "../core/records";
import type { Route } from "../core/route";
import { listedKeys, tagIndexKey } from "./tags";

/** What `deleteTagged` needs of the transaction in scope: the tags of what it wrote. */
export interface StagedTags {
  /** The tags `key` has in the transaction; `null` when it deleted the key; `undefined` when the stored record's count. */
  tagsOf(key: string): readonly string[] | null | undefined;
  /** The keys the transaction set with `tag`. */
  keysTagged(tag: string): string[];
}

/**
 * Deletes every key that still carries one of `tags` (a key rewritten without the tag is kept),
 * then the tag indexes themselves, on every backend. Returns the number of keys deleted. Where the
 * backend offers `invalidateTag` (Upstash: one script, one HTTP request per tag) that is one
 * atomic step; otherwise a set index loses only the members read, so keys another process tags
 * meanwhile stay indexed. Inside a transaction (`staged`) the keys are judged by what it wrote,
 * and those it set with a tag, which no index lists yet, are deleted too.
 */
export async function deleteTagged(
  cache: CacheCore,
  tags: readonly string[],
  staged?: StagedTags,
): Promise<number> {
  let deleted = 0;
  const scope = cache.scope();
  // Whether the key deletes take effect now: inside a transaction they are staged (and may be
  // rolled back), with a command disabled they may be skipped. Otherwise the index keeps its
  // entries: a stale one is checked against its record's tags next time (one read, never a
  // wrong delete), where a trimmed one would leave its key out of reach of the tag.
  const settled = scope.tx === undefined && (scope.disabled?.size ?? 0) === 0;
  // The one-step invalidation skips the per-key `getRaw`/`deleteMany` calls that callbacks report.
  const native = settled && scope.callbacks === undefined;
  const routes = cache.routes();
  // A load in flight may be for a key of these tags that no index lists yet: it must not store
  // after this invalidation (loads whose results carry other tags store as usual).
  for (const route of routes) route.invalidateTags(tags);
  // A backend that fails (with `suppress: false`) does not keep the others from invalidating:
  // every tag goes on every backend, then the first failure is thrown.
  let failure: { error: unknown } | undefined;
  for (const tag of tags) {
    const indexKey = tagIndexKey(tag);
    deleted += await cache.exclusive(indexKey, async () => {
      let count = 0;
      for (const route of routes) {
        try {
          count += await deleteTaggedOn(cache, route, indexKey, tag, native, settled, staged);
        } catch (error) {
          failure ??= { error };
        }
      }
      const own = staged?.keysTagged(tag) ?? [];
      return own.length > 0 ? count + (await cache.deleteMany(own)) : count;
    });
  }
  if (failure !== undefined) throw failure.error;
  return deleted;
}

/** `deleteTagged` for one tag on one route's backend. */
async function deleteTaggedOn(
  cache: CacheCore,
  route: Route,
  indexKey: string,
  tag: string,
  native: boolean,
  settled: boolean,
  staged: StagedTags | undefined,
): Promise<number> {
  if (native) {
    const done = await invalidateTagOn(route, indexKey, tag);
    if (done !== NOT_NATIVE) {
      // Keys another route serves were absent from this backend: check them where they live.
      const elsewhere = done.absent.filter((key) => cache.routeFor(key) !== route);
      return done.deleted.length + (elsewhere.length > 0 ? await deleteCarrying(cache, elsewhere, tag) : 0);
    }
  }
  const listed = await membersOn(route, indexKey);
  const members = listed === NOT_NATIVE ? await readValue(route, cache.clock, indexKey) : listed;
  const keys = listed === NOT_NATIVE ? listedKeys(members) : listed;
  const count = keys.length > 0 ? await deleteCarrying(cache, keys, tag, staged) : 0;
  if (!settled) return count;
  if (listed !== NOT_NATIVE) await removeMembersOn(route, indexKey, keys);
  else if (members !== MISS)
    await route.call("delete", indexKey, false, (backend) => backend.delete(indexKey));
  return count;
}

/** Deletes those of `keys` whose record (or write in the transaction, `staged`) still lists `tag`; returns how many. */
async function deleteCarrying(
  cache: CacheCore,
  keys: readonly string[],
  tag: string,
  staged?: StagedTags,
): Promise<number> {
  const own = keys.map((key) => staged?.tagsOf(key));
  const raws = await Promise.all(
    keys.map((key, at) => (own[at] === undefined ? cache.getRaw(key) : undefined)),
  );
  const now = cache.clock.now();
  const live: string[] = [];
  // Records whose TTL, kept in their header, has passed where the backend cannot expire them (a
  // custom backend without native TTL or with a floor): deleted too, but not counted, as they
  // read as missing.
  const ended: string[] = [];
  keys.forEach((key, at) => {
    const written = own[at];
    if (written !== undefined) {
      if (written?.includes(tag) ?? false) live.push(key);
      return;
    }
    const raw = raws[at];
    const header = raw === undefined ? undefined : peekHeader(raw);
    if (!(header?.t?.includes(tag) ?? false)) return;
    if (header?.e !== undefined && header.e <= now) ended.push(key);
    else live.push(key);
  });
  // Two calls, not one: a key is in `ended` by its header as read above, and one total could not
  // tell which deleted keys were live (capping it at `live.length` miscounts when another client
  // deleted a live key meanwhile). Both run at once. Only routes that keep TTLs in records have
  // ended keys: on every built-in backend `ended` is empty and this is one call.
  const [count] = await Promise.all([
    live.length > 0 ? cache.deleteMany(live) : 0,
    ended.length > 0 ? cache.deleteMany(ended) : 0,
  ]);
  return count;
}
