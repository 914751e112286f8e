// Suite targets for the Redis backend: every `create()` gets its own key prefix on the shared
// test server, so `clear()` in one test (or one test file running in parallel) never touches
// another's keys; `cleanup` removes what the test left behind.
import { createClient } from "redis";

let counter = 0;
const run = Math.random().toString(36).slice(2, 8);

/** A fresh key prefix, unique within this run and across parallel test files. */
export function freshPrefix(tag: string): string {
  counter += 1;
  return `t:${tag}:${run}:${counter}:`;
}

/** `redis://…/?keyPrefix=…` for a fresh prefix, plus the prefix itself. */
export function freshRedisUrl(redisUrl: string, tag: string, query = ""): { url: string; prefix: string } {
  const prefix = freshPrefix(tag);
  const url = new URL(redisUrl);
  url.searchParams.set("keyPrefix", prefix);
  return { url: `${url.href}${query === "" ? "" : `&${query}`}`, prefix };
}

/** Deletes every key starting with one of `prefixes` (a test's leftovers), through a plain client. */
export async function dropPrefixes(redisUrl: string, prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const client = createClient({ url: redisUrl });
  client.on("error", () => undefined);
  await client.connect();
  try {
    for (const prefix of prefixes) {
      const escaped = prefix.replace(/[*?[\]\\]/g, "\\$&");
      for await (const keys of client.scanIterator({ MATCH: `${escaped}*`, COUNT: 1000 })) {
        if (keys.length > 0) await client.unlink(keys);
      }
    }
  } finally {
    client.destroy();
  }
}

/** The runtime-entry slice a Redis suite target needs. */
interface EntryLike {
  readonly runtime: string;
}

/**
 * A conformance-suite target on Redis: a `redis://…?keyPrefix=…` URL per `create()` (wrapped as
 * `["mem://", url]` when `tiered`), with the test's keys removed after each test.
 */
export function redisTarget<L extends EntryLike>(lib: L, redisUrl: string, tag: string, tiered: boolean) {
  let made: string[] = [];
  return {
    name: tiered ? "memory+redis" : "redis",
    lib,
    create: () => {
      const { url, prefix } = freshRedisUrl(redisUrl, `${tag}:${lib.runtime}`);
      made.push(prefix);
      return tiered ? ["mem://", url] : url;
    },
    cleanup: async () => {
      const prefixes = made;
      made = [];
      await dropPrefixes(redisUrl, prefixes);
    },
  };
}
