// Suite targets for the Redis backend: every `create()` gets its own key prefix on the shared
// test server, so `clear()` in one test (or one test file running in parallel) never touches
// another's keys; `cleanup` removes what the test left behind.
import { createClient, type RedisClientType } from "redis";

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

/** Deletes the keys under ARGV[1..n] prefixes (patterns already escaped) in one call. */
const DROP = `
local n = 0
for _, pattern in ipairs(ARGV) do
  for _, key in ipairs(redis.call('KEYS', pattern)) do redis.call('UNLINK', key); n = n + 1 end
end
return n`;

const admins = new Map<string, Promise<RedisClientType>>();

/** One long-lived, unref'd connection per server for cleanups, so a test pays no connection setup. */
function admin(redisUrl: string): Promise<RedisClientType> {
  let client = admins.get(redisUrl);
  if (client === undefined) {
    const made = createClient({ url: redisUrl }) as RedisClientType;
    made.on("error", () => undefined);
    client = made.connect().then(() => {
      made.unref();
      return made;
    });
    admins.set(redisUrl, client);
  }
  return client;
}

/** Deletes every key starting with one of `prefixes` (a test's leftovers). */
export async function dropPrefixes(redisUrl: string, prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const patterns = prefixes.map((prefix) => `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`);
  const client = await admin(redisUrl);
  await client.sendCommand(["EVAL", DROP, "0", ...patterns]);
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

/** The slice of a server runtime entry (node, bun, deno) the Redis suites in this folder use. */
export type RedisEntry = Pick<typeof import("../../runtimes/node"), "Cache" | "CacheBackendError"> & {
  readonly runtime: "node" | "bun" | "deno";
};

/** A cache of one of those entries. */
export type RedisEntryCache = InstanceType<RedisEntry["Cache"]>;
