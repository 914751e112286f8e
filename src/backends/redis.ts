import type { Clock } from "../core/clock";
import type { BackendScheme } from "../core/lazy";
import type {
  Backend,
  BackendCapabilities,
  BackendSetOptions,
  InvalidationListener,
  SlidingWindowHit,
  ValueWithExpire,
} from "../core/types";
import {
  escapeGlob,
  GET_WITH_PTTL,
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
import { ADD_MEMBERS, addMembersArgs, MEMBERS, REMOVE_MEMBERS } from "./_shared/redis-lua-tags";
import { RedisConnection } from "./redis-connection";
import {
  type RedisBackendOptions,
  type ResolvedRedisOptions,
  redisCapabilities,
  redisOptionsFromUrl,
  resolveRedisOptions,
} from "./redis-options";

export type { RedisBackendOptions, RedisClientLike } from "./redis-options";

const SCAN_COUNT = "1000";
const DELETE_BATCH = 500;

/**
 * Redis over TCP through node-redis (v5/v6, RESP3). Keys get `keyPrefix` in front; TTLs are
 * native milliseconds (`PX`); counters, locks and `exist` are atomic (Lua, `NX`/`XX`). The
 * connection opens on the first command, reconnects forever with backoff, and commands issued
 * while it is down fail at once instead of queueing. With a key prefix, `clear()`, `count()` and
 * `scan()` touch only this backend's keys (SCAN + UNLINK); without one, `clear()` is `FLUSHDB`.
 */
export class RedisBackend implements Backend {
  /** Always `"redis"`. */
  readonly name = "redis";
  /** Native TTL in ms, atomic, strong consistency; invalidations when it owns its client. */
  readonly capabilities: BackendCapabilities;
  readonly #prefix: string;
  readonly #conn: RedisConnection;

  constructor(options: ResolvedRedisOptions) {
    this.capabilities = redisCapabilities(options);
    this.#prefix = options.keyPrefix;
    this.#conn = new RedisConnection(options);
  }

  init(): Promise<void> {
    return this.#conn.open();
  }

  close(): Promise<void> {
    return this.#conn.close();
  }

  #k(key: string): string {
    return this.#prefix + key;
  }

  get(key: string): Promise<string | undefined> {
    return this.#conn.send<unknown>(["GET", this.#k(key)]).then(text);
  }

  async getWithExpire(key: string): Promise<ValueWithExpire | undefined> {
    const reply = await this.#conn.eval<unknown>(GET_WITH_PTTL, [this.#k(key)], []);
    if (!Array.isArray(reply)) return undefined;
    const value = text(reply[0]);
    const ttl = Number(reply[1]);
    if (value === undefined || ttl === -2) return undefined;
    return { value, ttl };
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    const reply = await this.#conn.send<unknown[]>(["MGET", ...keys.map((key) => this.#k(key))]);
    return reply.map(text);
  }

  set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const ttl = options?.ttl;
    const exist = options?.exist;
    if (ttl !== undefined && ttl <= 0) return this.#setExpired(key, exist);
    const args = ["SET", this.#k(key), value];
    if (ttl !== undefined) args.push("PX", String(Math.ceil(ttl)));
    if (exist !== undefined) args.push(exist ? "XX" : "NX");
    return this.#conn.send<unknown>(args).then(stored);
  }

  /** A TTL of 0 or less expires the value at once, as `PEXPIRE` does: nothing is left stored. */
  async #setExpired(key: string, exist: boolean | undefined): Promise<boolean> {
    if (exist === false) return !(await this.exists(key));
    const existed = await this.delete(key);
    return exist === true ? existed : true;
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    // Sent in one tick, node-redis writes them as one pipeline: one round trip.
    await Promise.all(entries.map(([key, value]) => this.set(key, value, { ttl })));
  }

  async delete(key: string): Promise<boolean> {
    return Number(await this.#conn.send(["DEL", this.#k(key)])) > 0;
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return Number(await this.#conn.send(["DEL", ...keys.map((key) => this.#k(key))]));
  }

  async exists(key: string): Promise<boolean> {
    return Number(await this.#conn.send(["EXISTS", this.#k(key)])) > 0;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const cut = this.#prefix.length;
    for await (const batch of this.#scanRaw(escapeGlob(this.#prefix) + pattern)) {
      for (const key of batch) yield key.slice(cut);
    }
  }

  /** Batches of full Redis keys matching `match`, each key once (SCAN may repeat keys). */
  async *#scanRaw(match: string): AsyncIterable<string[]> {
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const reply = await this.#conn.send<[unknown, unknown[]]>([
        "SCAN",
        cursor,
        "MATCH",
        match,
        "COUNT",
        SCAN_COUNT,
      ]);
      cursor = String(reply[0]);
      const fresh: string[] = [];
      for (const raw of reply[1]) {
        const key = String(raw);
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push(key);
      }
      if (fresh.length > 0) yield fresh;
    } while (cursor !== "0");
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    const ms = ttl === undefined || ttl <= 0 ? 0 : Math.ceil(ttl);
    const args = incrArgs(this.name, key, by, ms);
    let reply: unknown;
    try {
      reply = await this.#conn.eval(INCR_WITH_TTL, [this.#k(key)], args);
    } catch (error) {
      throw incrNotInteger(this.name, key, error) ?? error;
    }
    return incrCount(this.name, key, reply);
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    return Number(await this.#conn.send(["PEXPIRE", this.#k(key), String(Math.ceil(ttl))])) === 1;
  }

  async getExpire(key: string): Promise<number> {
    return Number(await this.#conn.send(["PTTL", this.#k(key)]));
  }

  async clear(): Promise<void> {
    if (this.#prefix === "") {
      await this.#conn.send(["FLUSHDB"]);
      return;
    }
    for await (const batch of this.#scanRaw(`${escapeGlob(this.#prefix)}*`)) {
      for (let at = 0; at < batch.length; at += DELETE_BATCH) {
        await this.#conn.send(["UNLINK", ...batch.slice(at, at + DELETE_BATCH)]);
      }
    }
  }

  async count(): Promise<number> {
    if (this.#prefix === "") return Number(await this.#conn.send(["DBSIZE"]));
    let total = 0;
    for await (const batch of this.#scanRaw(`${escapeGlob(this.#prefix)}*`)) total += batch.length;
    return total;
  }

  async ping(message?: string): Promise<string> {
    return String(await this.#conn.send(message === undefined ? ["PING"] : ["PING", message]));
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    const ms = String(pxMs(ttl));
    return (await this.#conn.send<unknown>(["SET", this.#k(key), token, "PX", ms, "NX"])) !== null;
  }

  async unlock(key: string, token: string): Promise<boolean> {
    return Number(await this.#conn.eval(UNLOCK, [this.#k(key)], [token])) === 1;
  }

  async replace(key: string, expected: string, value: string, ttl?: number): Promise<boolean> {
    const args = replaceArgs(expected, value, ttl);
    return Number(await this.#conn.eval(REPLACE, [this.#k(key)], args)) === 1;
  }

  async lockUnlessStored(
    lockKey: string,
    key: string,
    token: string,
    ttl: number,
  ): Promise<ValueWithExpire | boolean> {
    const keys = [this.#k(lockKey), this.#k(key)];
    const args = lockUnlessStoredArgs(token, ttl);
    return lockUnlessStoredReply(await this.#conn.eval<unknown>(LOCK_UNLESS_STORED, keys, args));
  }

  async slideWindow(key: string, nowMs: number, windowMs: number, limit: number): Promise<SlidingWindowHit> {
    const args = slideWindowArgs(nowMs, windowMs, limit);
    return slideWindowHit(await this.#conn.eval<unknown>(SLIDE_WINDOW, [this.#k(key)], args));
  }

  async addMembers(key: string, members: readonly string[], ttl?: number): Promise<void> {
    if (members.length === 0) return;
    await this.#conn.eval(ADD_MEMBERS, [this.#k(key)], addMembersArgs(this.#prefix, members, ttl));
  }

  async removeMembers(key: string, members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    return Number(await this.#conn.eval(REMOVE_MEMBERS, [this.#k(key)], [...members]));
  }

  async members(key: string): Promise<string[]> {
    const reply = await this.#conn.eval<unknown>(MEMBERS, [this.#k(key)], []);
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  onInvalidate(listener: InvalidationListener): () => void {
    return this.#conn.onInvalidate(listener);
  }
}

/** True unless a conditional SET answered nil (nothing stored). */
function stored(reply: unknown): boolean {
  return reply !== null;
}

/** A Redis reply as stored text; `null` (nil) is a miss. */
function text(reply: unknown): string | undefined {
  return reply === null || reply === undefined ? undefined : String(reply);
}

/** Builds the backend from options the scheme already checked (used by the lazy `redis://` scheme). */
export function createRedisBackend(options: ResolvedRedisOptions, _env?: { clock: Clock }): Backend {
  return new RedisBackend(options);
}

/**
 * A Redis backend over TCP (node-redis); nothing connects until the first command.
 * @example
 * import { redisBackend } from "isocache/backends/redis";
 * cache.setup(redisBackend({ url: "redis://127.0.0.1:6379/0", keyPrefix: "app:" }));
 */
export function redisBackend(options: RedisBackendOptions = {}): RedisBackend {
  return new RedisBackend(resolveRedisOptions(options));
}

/**
 * The `redis://` scheme, for `registerScheme` in programs whose runtime entry does not serve it.
 * @example
 * import { redis } from "isocache/backends/redis";
 * registerScheme(redis);
 */
export const redis: BackendScheme<ResolvedRedisOptions> = {
  scheme: "redis",
  fromUrl: redisOptionsFromUrl,
  capabilities: redisCapabilities,
  create: createRedisBackend,
};

/** The `rediss://` (TLS) scheme, for `registerScheme` like `redis`. */
export const rediss: BackendScheme<ResolvedRedisOptions> = { ...redis, scheme: "rediss" };
