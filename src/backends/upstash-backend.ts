// The Upstash backend itself, written against the client's type only: `upstash.ts` hands it the
// `Redis` class of `@upstash/redis`, `upstash.workerd.ts` the one of `@upstash/redis/cloudflare`.
// Every method sends one command or one explicit pipeline, so it costs at most one HTTP request;
// the client's auto-pipelining also folds the commands of concurrent calls issued in the same
// tick into one request (reads and writes apart), which keeps a burst of cache reads cheap.
import type {
  Backend,
  BackendCapabilities,
  BackendSetOptions,
  SlidingWindowHit,
  TagInvalidation,
  ValueWithExpire,
} from "../core/types";
import {
  escapeGlob,
  INCR_WITH_TTL,
  incrArgs,
  incrCount,
  incrNotInteger,
  LOCK_UNLESS_STORED,
  lockUnlessStoredArgs,
  lockUnlessStoredReply,
  pxMs,
  REPLACE,
  replaceArgs,
  SLIDE_WINDOW,
  slideWindowArgs,
  slideWindowHit,
  UNLOCK,
} from "./_shared/redis-lua";
import {
  ADD_MEMBERS,
  addMembersArgs,
  INVALIDATE_TAG,
  MEMBERS,
  REMOVE_MEMBERS,
  SET_INDEXED,
  tagInvalidation,
} from "./_shared/redis-lua-tags";
import { UpstashClient, type UpstashClientFactory } from "./upstash-client";
import { type ResolvedUpstashOptions, upstashCapabilities } from "./upstash-url";

const DELETE_BATCH = 500;

/**
 * Redis over HTTP through `@upstash/redis`. One backend call is one HTTP request (batches are
 * one pipeline), values travel as the core's text, and atomic operations run on the server
 * (`SET NX/XX`, Lua through `EVAL`).
 */
export class UpstashBackend implements Backend {
  /** Always `"upstash"`. */
  readonly name = "upstash";
  /** Native TTL, atomic, strong consistency, keys up to 32 KiB (less the namespace). */
  readonly capabilities: BackendCapabilities;
  readonly #client: UpstashClient;
  readonly #ns: string;

  constructor(options: ResolvedUpstashOptions, factory: UpstashClientFactory) {
    this.#client = new UpstashClient(options, factory);
    this.#ns = options.namespace;
    this.capabilities = upstashCapabilities(options);
  }

  async init(): Promise<void> {
    void this.#client.redis;
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  async get(key: string): Promise<string | undefined> {
    const value = await this.#client.run("get", (redis) => redis.get<string>(this.#ns + key));
    return value ?? undefined;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.#client.run("getMany", (redis) =>
      redis.mget<(string | null)[]>(...keys.map((key) => this.#ns + key)),
    );
    return values.map((value) => value ?? undefined);
  }

  /** Value and milliseconds left in one pipelined request (tiers back-fill with it). */
  async getWithExpire(key: string): Promise<ValueWithExpire | undefined> {
    const full = this.#ns + key;
    const [value, left] = await this.#client.run("getWithExpire", (redis) =>
      redis.pipeline().get<string>(full).pttl(full).exec<[string | null, number]>(),
    );
    return value === null || left === -2 ? undefined : { value, ttl: left };
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const full = this.#ns + key;
    const ttl = options?.ttl;
    // Redis refuses PX 0; a TTL that already ended keeps its meaning as "expire at once".
    const px = ttl === undefined ? undefined : pxMs(ttl);
    const exist = options?.exist;
    const reply = await this.#client.run("set", (redis) => {
      if (exist === undefined)
        return px === undefined ? redis.set(full, value) : redis.set(full, value, { px });
      const flag = exist ? { xx: true as const } : { nx: true as const };
      return px === undefined ? redis.set(full, value, flag) : redis.set(full, value, { px, ...flag });
    });
    return reply === "OK";
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    if (entries.length === 0) return;
    const px = ttl === undefined ? undefined : pxMs(ttl);
    await this.#client.run<unknown>("setMany", (redis) => {
      // One MSET (one command on the bill) when there is no TTL; SET has no multi-key form with PX.
      // fromEntries defines own properties, so a key such as "__proto__" stays a key.
      if (px === undefined)
        return redis.mset(Object.fromEntries(entries.map(([key, value]) => [this.#ns + key, value])));
      const pipeline = redis.pipeline();
      for (const [key, value] of entries) pipeline.set(this.#ns + key, value, { px });
      return pipeline.exec();
    });
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#client.run("delete", (redis) => redis.del(this.#ns + key))) > 0;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#client.run("deleteMany", (redis) => redis.del(...keys.map((key) => this.#ns + key)));
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#client.run("exists", (redis) => redis.exists(this.#ns + key))) > 0;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const strip = this.#ns.length;
    for await (const keys of this.#client.scanPages(escapeGlob(this.#ns) + pattern)) {
      for (const key of keys) yield key.slice(strip);
    }
  }

  /** Always the script, which refuses a sum outside the safe integer range (a bare INCRBY cannot). */
  async incr(key: string, by: number, ttl?: number): Promise<number> {
    const args = incrArgs(this.name, key, by, ttl === undefined ? 0 : pxMs(ttl));
    const reply = await this.#client.run(
      "incr",
      (redis) => redis.eval(INCR_WITH_TTL, [this.#ns + key], args),
      (error) => incrNotInteger(this.name, key, error),
    );
    return incrCount(this.name, key, reply);
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const ms = Math.ceil(ttl);
    return (await this.#client.run("expire", (redis) => redis.pexpire(this.#ns + key, ms))) === 1;
  }

  async getExpire(key: string): Promise<number> {
    const left = await this.#client.run("getExpire", (redis) => redis.pttl(this.#ns + key));
    return left < 0 ? (left === -1 ? -1 : -2) : left;
  }

  async clear(): Promise<void> {
    if (this.#ns === "") {
      await this.#client.run("clear", (redis) => redis.flushdb());
      return;
    }
    for await (const keys of this.#client.scanPages(`${escapeGlob(this.#ns)}*`)) {
      for (let at = 0; at < keys.length; at += DELETE_BATCH) {
        const batch = keys.slice(at, at + DELETE_BATCH);
        await this.#client.run("clear", (redis) => redis.del(...batch));
      }
    }
  }

  async count(): Promise<number> {
    if (this.#ns === "") return this.#client.run("count", (redis) => redis.dbsize());
    let total = 0;
    for await (const keys of this.#client.scanPages(`${escapeGlob(this.#ns)}*`)) total += keys.length;
    return total;
  }

  async ping(message?: string): Promise<string> {
    return this.#client.run("ping", (redis) =>
      message === undefined ? redis.ping() : redis.ping([message]),
    );
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.set(key, token, { ttl, exist: false });
  }

  async unlock(key: string, token: string): Promise<boolean> {
    const reply = await this.#client.run("unlock", (redis) => redis.eval(UNLOCK, [this.#ns + key], [token]));
    return reply === 1;
  }

  async replace(key: string, expected: string, value: string, ttl?: number): Promise<boolean> {
    const args = replaceArgs(expected, value, ttl);
    const reply = await this.#client.run("replace", (redis) => redis.eval(REPLACE, [this.#ns + key], args));
    return reply === 1;
  }

  async lockUnlessStored(
    lockKey: string,
    key: string,
    token: string,
    ttl: number,
  ): Promise<ValueWithExpire | boolean> {
    const keys = [this.#ns + lockKey, this.#ns + key];
    const args = lockUnlessStoredArgs(token, ttl);
    const reply = await this.#client.run("setLock", (redis) => redis.eval(LOCK_UNLESS_STORED, keys, args));
    return lockUnlessStoredReply(reply);
  }

  async slideWindow(key: string, nowMs: number, windowMs: number, limit: number): Promise<SlidingWindowHit> {
    const args = slideWindowArgs(nowMs, windowMs, limit);
    const reply = await this.#client.run("slideWindow", (redis) =>
      redis.eval(SLIDE_WINDOW, [this.#ns + key], args),
    );
    return slideWindowHit(reply);
  }

  async addMembers(key: string, members: readonly string[], ttl?: number): Promise<void> {
    if (members.length === 0) return;
    const args = addMembersArgs(this.#ns, members, ttl);
    await this.#client.run("addMembers", (redis) => redis.eval(ADD_MEMBERS, [this.#ns + key], args));
  }

  async removeMembers(key: string, members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    const args = [...members];
    return Number(
      await this.#client.run("removeMembers", (redis) => redis.eval(REMOVE_MEMBERS, [this.#ns + key], args)),
    );
  }

  async members(key: string): Promise<string[]> {
    const reply = await this.#client.run("members", (redis) => redis.eval(MEMBERS, [this.#ns + key], []));
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  /** A write and its tag index updates in one script (one HTTP request). */
  async setIndexed(
    key: string,
    value: string,
    options: BackendSetOptions,
    indexKeys: readonly string[],
    indexTtl: number | undefined,
  ): Promise<boolean> {
    const ttl = options.ttl;
    const px = ttl === undefined ? 0 : pxMs(ttl);
    const mode = options.exist === undefined ? "" : options.exist ? "XX" : "NX";
    const keys = [this.#ns + key, ...indexKeys.map((index) => this.#ns + index)];
    const indexMs = indexTtl === undefined ? 0 : pxMs(indexTtl);
    const args = [value, String(px), mode, key, String(indexMs), this.#ns];
    return (await this.#client.run("set", (redis) => redis.eval(SET_INDEXED, keys, args))) === 1;
  }

  /** Deletes what a tag index lists, and the index, in one script (one HTTP request). */
  async invalidateTag(indexKey: string, tag: string): Promise<TagInvalidation> {
    const reply = await this.#client.run("deleteTags", (redis) =>
      redis.eval(INVALIDATE_TAG, [this.#ns + indexKey], [this.#ns, tag]),
    );
    return tagInvalidation(reply);
  }
}
