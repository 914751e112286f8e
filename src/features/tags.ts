import type { CacheCore } from "../core/cache";
import { peekHeader } from "../core/envelope";
import { INTERNAL_PREFIX } from "../core/keys";
import { MISS } from "../core/records";

export { INTERNAL_PREFIX };

const TAG_PREFIX = `${INTERNAL_PREFIX}tag:`;

/** The key of the index that lists the keys carrying `tag`. */
export function tagIndexKey(tag: string): string {
  return TAG_PREFIX + tag;
}

/**
 * Adds `key` to the index of each tag. The index is a list of keys kept in the cache itself, so
 * `deleteTags` reads one index per tag instead of scanning the keyspace. It lives at least as
 * long as its longest-lived member.
 */
export async function indexTags(
  cache: CacheCore,
  key: string,
  tags: readonly string[],
  ttl: number | undefined,
): Promise<void> {
  await Promise.all(
    tags.map((tag) =>
      cache.exclusive(tagIndexKey(tag), async () => {
        const indexKey = tagIndexKey(tag);
        const current = await cache.read(indexKey);
        const members = Array.isArray(current) ? (current as string[]) : [];
        const left = current === MISS ? 0 : await cache.getExpire(indexKey);
        const keep = ttl === undefined || left === -1 ? undefined : Math.max(ttl, left);
        if (members.includes(key) && (keep === undefined ? left === -1 : left >= keep)) return;
        if (!members.includes(key)) members.push(key);
        await cache.write(indexKey, members, keep, undefined);
      }),
    ),
  );
}

/**
 * Deletes every key that still carries one of `tags` (a key rewritten without the tag is kept),
 * then the tag indexes themselves. Returns the number of keys deleted.
 */
export async function deleteTagged(cache: CacheCore, tags: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const tag of tags) {
    const indexKey = tagIndexKey(tag);
    deleted += await cache.exclusive(indexKey, async () => {
      const members = await cache.read(indexKey);
      if (!Array.isArray(members) || members.length === 0) {
        await cache.delete(indexKey);
        return 0;
      }
      const keys = members as string[];
      const raws = await Promise.all(keys.map((key) => cache.getRaw(key)));
      const tagged = keys.filter((_, at) => {
        const raw = raws[at];
        return raw !== undefined && (peekHeader(raw)?.t?.includes(tag) ?? false);
      });
      const count = tagged.length > 0 ? await cache.deleteMany(tagged) : 0;
      await cache.delete(indexKey);
      return count;
    });
  }
  return deleted;
}
