// The driver-free half of the Redis backend: options, URL parsing and capabilities. Runtime
// entries import this module for `redis://` and `rediss://`; the module that imports the `redis`
// client loads only on the first command (see `lazyScheme`).
import type { RedisClientType } from "redis";
import { MAX_TIMER_MS } from "../core/durations";
import { CacheConfigError, errorMessage } from "../core/errors";
import { lazyScheme } from "../core/lazy";
import type { SchemeFactory } from "../core/setup";
import { readPositiveInt, rejectUnknownParams } from "../core/setup";
import type { BackendCapabilities } from "../core/types";

/** A node-redis (v5/v6) client, as `createClient()` returns it. */
// biome-ignore lint/suspicious/noExplicitAny: any module/script/RESP combination of node-redis is accepted.
export type RedisClientLike = RedisClientType<any, any, any, any, any>;

/** Options of `redisBackend`. */
export interface RedisBackendOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS; default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A node-redis client to use instead of `url`. It is connected on the first command if it is
   * not yet, and `close()` quits it only if the backend connected it. Without RESP3 and the
   * backend's own tracking hook, it reports no invalidations (so no `clientSide`).
   */
  client?: RedisClientLike;
  /**
   * Put in front of every Redis key, so several caches share one database; `clear()`,
   * `count()` and `scan()` then touch only keys with this prefix. Default `""` (the whole database).
   */
  keyPrefix?: string;
  /** Milliseconds one connection attempt may take, and `close()` waits for replies still due; default 5000. */
  connectTimeout?: number;
  /** Longest pause between reconnection attempts, in milliseconds (the backoff doubles up to it); default 1000. */
  maxReconnectDelay?: number;
}

/** The options after defaults; what the client module builds a backend from. */
export interface ResolvedRedisOptions {
  readonly url: string | undefined;
  readonly client: RedisClientLike | undefined;
  readonly keyPrefix: string;
  readonly connectTimeout: number;
  readonly maxReconnectDelay: number;
}

const SCOPE = "redis";
const PARAMS = ["keyPrefix", "connectTimeout", "maxReconnectDelay"];
const DEFAULT_URL = "redis://127.0.0.1:6379";

/** Checks `options` and fills in defaults; throws `CacheConfigError`. */
export function resolveRedisOptions(options: RedisBackendOptions): ResolvedRedisOptions {
  if (options.client !== undefined && options.url !== undefined) {
    throw configError("both `url` and `client` were given", "pass one of them");
  }
  if (options.client !== undefined && typeof options.client.sendCommand !== "function") {
    throw configError(
      "`client` is not a node-redis client",
      "pass the result of createClient() from the redis package",
    );
  }
  const url = options.client === undefined ? checkUrl(options.url ?? DEFAULT_URL) : undefined;
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== "string") {
    throw configError("`keyPrefix` must be a string", 'pass for example keyPrefix: "app:"');
  }
  return {
    url,
    client: options.client,
    keyPrefix: options.keyPrefix ?? "",
    connectTimeout: positive(options.connectTimeout, "connectTimeout", 5000),
    maxReconnectDelay: positive(options.maxReconnectDelay, "maxReconnectDelay", 1000),
  };
}

/** Reads a `redis://` or `rediss://` setup URL; unknown query parameters are refused. */
export function redisOptionsFromUrl(url: URL, params: URLSearchParams): ResolvedRedisOptions {
  const keyPrefix = params.get("keyPrefix") ?? undefined;
  const connectTimeout = readPositiveInt(params, "connectTimeout", 5000, SCOPE);
  const maxReconnectDelay = readPositiveInt(params, "maxReconnectDelay", 1000, SCOPE);
  rejectUnknownParams(params, PARAMS, SCOPE);
  const bare = new URL(url.href);
  bare.search = "";
  return resolveRedisOptions({ url: bare.href, keyPrefix, connectTimeout, maxReconnectDelay });
}

/** Native millisecond TTLs, atomic counters and locks, strong consistency; invalidations when the backend owns its client. */
export function redisCapabilities(options: ResolvedRedisOptions): BackendCapabilities {
  return {
    nativeTtl: true,
    minTtlMs: 0,
    maxKeyBytes: 0,
    atomic: true,
    consistency: "strong",
    invalidations: options.client === undefined,
  };
}

/** `redis://` and `rediss://` for the Node, Bun and Deno entries: checked at setup, client loaded on first use. */
export const redisUrlScheme: SchemeFactory = lazyScheme(
  SCOPE,
  redisOptionsFromUrl,
  redisCapabilities,
  async () => (await import("./redis")).createRedisBackend,
);

function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new CacheConfigError(
      errorMessage(SCOPE, "the url is not a valid URL", 'use for example "redis://127.0.0.1:6379/0"'),
      { cause },
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw configError(
      `the url has scheme ${url.protocol} instead of redis: or rediss:`,
      "use redis:// or rediss:// (TLS)",
    );
  }
  if (!/^\/?\d*$/.test(url.pathname)) {
    throw configError(
      `the URL path "${url.pathname}" is not a database number`,
      'write the database index as the path, for example "redis://127.0.0.1:6379/2"',
    );
  }
  return url.href;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  // A timer cannot wait longer than MAX_TIMER_MS: it would fire at once, failing every connect
  // (connectTimeout) or reconnecting without pause (maxReconnectDelay).
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw configError(
      `\`${name}\` ${String(value)} is not a positive integer of at most ${MAX_TIMER_MS}`,
      `pass milliseconds, such as ${fallback}`,
    );
  }
  return value;
}

function configError(problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage(SCOPE, problem, remedy));
}
