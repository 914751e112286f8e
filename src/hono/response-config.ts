// The options of `cacheResponse`, checked once when the middleware is made.
import type { Context } from "hono";
import { type Duration, toMilliseconds } from "../core/durations";
import { shownValue } from "../core/suggest";
import { type KeyRenderer, keyRenderer, type ResponseKey } from "./key";
import {
  checkCacheOption,
  checkOptionNames,
  configError,
  fixedTtl,
  methodsOption,
  statusesOption,
  varyOption,
} from "./options";
import type { ResponseStrategy } from "./origin";
import type { IsoCache } from "./state";

/** A TTL for `cacheResponse`: a duration, or a function of the request (see `cacheControlTtl`). */
export type ResponseTtl = Duration | ((c: Context) => Duration);

/** Options of `cacheResponse`. */
export interface CacheResponseOptions<C extends IsoCache = IsoCache> {
  /** The cache to store responses in; default the one in `c.var.cache` (see `cacheContext`). */
  cache?: C;
  /** How long a response is kept: `"5m"`, milliseconds, or a function of the request. */
  ttl: ResponseTtl;
  /**
   * The key of a route's entry: a template over `{method}`, `{url}`, `{path}`, `{query.name}`,
   * `{param.name}` (default `"hono:{method}:{url}"`) or a function of the context and the method
   * whose entry it names (GET for HEAD, and for the invalidation after a write). The `vary`
   * headers are always added to it as a SHA-256.
   */
  key?: ResponseKey;
  /**
   * Request headers whose values select distinct entries (`["accept-language"]`, or one string in
   * the `Vary` header's form, `"accept-language, accept"`); needed to cache requests with
   * `Authorization` or `Cookie`.
   */
  vary?: string | readonly string[];
  /**
   * Request methods served from and stored into the cache; default `["GET"]`. While GET is
   * listed, a HEAD request is answered like a GET one, from and into the GET entry: Hono runs the
   * GET route for HEAD and drops the body only after the middleware (a key function sees the
   * request's own method).
   */
  methods?: readonly string[];
  /**
   * Response statuses stored; default `[200]`. A 5xx listed here is stored like any other; one
   * that is not counts as the route failing, which `failover` and `soft` answer from the cache.
   * 206 and 304 throw `CacheConfigError`: each answers one request's `Range` or validators.
   */
  statuses?: readonly number[];
  /** How the route goes through the cache: `"cached"` (default), `"failover"`, `{ name: "early", earlyTtl }`, `{ name: "soft", softTtl }`. */
  strategy?: ResponseStrategy;
  /**
   * When an unsafe request (POST, PUT, PATCH, DELETE: any method but GET, HEAD, OPTIONS, TRACE,
   * QUERY and those in `methods`) passes through the middleware and gets a 2xx or 3xx answer, drop
   * the stored responses of its URL (every `vary` variant, each method in `methods`) before the
   * answer goes out, and those of the same-origin URLs in the answer's `Location` and
   * `Content-Location` (RFC 9111 §4.4); default `true`, `false` keeps them. The other URLs need
   * a key template that does not read `{param.…}`: a key function or such a template drops the
   * request's own URL only. Mount the middleware on the write routes too (one instance serves all).
   */
  invalidate?: boolean;
}

/** `cacheResponse` options as checked: the TTL as a function of the request, the sets built once. */
export interface Config {
  readonly cache: IsoCache | undefined;
  readonly ttl: (c: Context) => number;
  readonly keys: KeyRenderer;
  readonly vary: readonly string[];
  readonly varySet: ReadonlySet<string>;
  readonly methods: ReadonlySet<string>;
  readonly statuses: ReadonlySet<number>;
  readonly strategy: ResponseStrategy;
  /** The `earlyTtl`/`softTtl` in ms, for `early` and `soft`. */
  readonly window: number | undefined;
  readonly invalidate: boolean;
}

const OPTIONS = ["cache", "ttl", "key", "vary", "methods", "statuses", "strategy", "invalidate"];

/** Checks `options` and builds the `Config` the middleware runs with; throws `CacheConfigError`. */
export function configure(options: CacheResponseOptions<IsoCache>): Config {
  checkOptionNames("cacheResponse", options, OPTIONS, '{ ttl: "5m" }');
  if (options.ttl === undefined)
    throw configError("cacheResponse needs a `ttl`", 'pass for example { ttl: "5m" }');
  checkCacheOption(options.cache);
  const fixed = typeof options.ttl === "function" ? undefined : fixedTtl(options.ttl);
  const ttlOption = options.ttl;
  const ttl =
    typeof ttlOption === "function"
      ? (c: Context) => toMilliseconds(ttlOption(c), "ttl")
      : () => fixed as number;
  const vary = varyOption(options.vary);
  const strategy = options.strategy ?? "cached";
  const window = windowOf(strategy, fixed);
  return {
    cache: options.cache,
    ttl,
    keys: keyRenderer(options.key, vary),
    vary,
    varySet: new Set(vary),
    methods: new Set(methodsOption(options.methods)),
    statuses: new Set(statusesOption(options.statuses)),
    strategy,
    window,
    invalidate: invalidateOption(options.invalidate),
  };
}

function invalidateOption(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value === "boolean") return value;
  throw configError(
    `\`invalidate\` must be true or false, got ${shownValue(value)}`,
    "pass invalidate: false to keep stored responses when a write to their URL succeeds",
  );
}

function windowOf(strategy: ResponseStrategy, ttl: number | undefined): number | undefined {
  const name = typeof strategy === "string" ? strategy : (strategy as { name?: unknown } | null)?.name;
  if (name === "cached" || name === "failover") return undefined;
  if (name !== "early" && name !== "soft") {
    throw configError(
      `unknown strategy ${JSON.stringify(name ?? strategy)}`,
      'use "cached", "failover", { name: "early", earlyTtl } or { name: "soft", softTtl }',
    );
  }
  const what = name === "early" ? "earlyTtl" : "softTtl";
  const option = (strategy as { earlyTtl?: Duration; softTtl?: Duration })[what];
  const window = option === undefined ? 0 : toMilliseconds(option, what);
  if (window <= 0) throw configError(`${what} must be positive`, `pass for example ${what}: "1m"`);
  if (ttl !== undefined && window >= ttl) {
    throw configError(
      `${what} (${window} ms) must be shorter than ttl (${ttl} ms)`,
      `lower ${what} or raise ttl`,
    );
  }
  return window;
}
