import type { Context } from "hono";
import type { StrategyCache } from "../strategies/strategy-cache";
import type { Directives } from "./headers";

/** The cache the middleware accepts: any `Cache` from a runtime entry (`import { cache } from "isocache"`). */
export type IsoCache = StrategyCache;

/**
 * Hono variables the middleware provides: `c.var.cache` is the cache serving the route.
 * @example const app = new Hono<{ Variables: CacheVariables }>();
 */
export type CacheVariables<C extends IsoCache = IsoCache> = { cache: C };

/** A response as `cacheResponse` stores it. */
export interface CachedResponse {
  status: number;
  /** Headers safe to replay: no hop-by-hop field, no `Set-Cookie`, no `Age`, no `X-Cache`. */
  headers: [string, string][];
  /**
   * The body: its text when it is valid UTF-8 and the response names its `Content-Type` (a string
   * is shared by the memory backend's isolated hits, where bytes are copied per hit, and stores
   * smaller than base64 elsewhere), else its bytes.
   */
  body: Uint8Array | string;
  /** Lower-case hex SHA-256 of `body`, so `etag()` never rehashes a cached body. */
  digest: string;
  /** When it was recorded, in epoch ms on the cache's clock. */
  storedAt: number;
  /** When its record ends, in epoch ms on the cache's clock. */
  expiresAt: number;
}

/** What the middlewares of one request tell each other; kept off `c.var` so handlers see only `cache`. */
export interface RequestState {
  /** Request `Cache-Control` once parsed (by `cacheControl()` or `cacheControlTtl`). */
  parsed?: Directives;
  /** Request `Cache-Control` that `cacheResponse` obeys: set only when `cacheControl()` is mounted. */
  directives?: Directives;
  /** `cacheDelete()` saw `Clear-Site-Data: "cache"`: recompute and replace the route's entries. */
  replace?: boolean;
  /** The entry this request was answered from. */
  hit?: CachedResponse;
  /** The response `cacheResponse` replayed `hit` as; `etag()` answers from the entry while `c.res` is still it. */
  replayed?: Response;
  /** The digest of the body being recorded on a miss, once it is complete (`undefined` when not recorded). */
  digest?: Promise<string | undefined>;
}

const states = new WeakMap<Context, RequestState>();

/** The middleware state of the request `c`, created on first use. */
export function stateOf(c: Context): RequestState {
  let state = states.get(c);
  if (state === undefined) {
    state = {};
    states.set(c, state);
  }
  return state;
}
