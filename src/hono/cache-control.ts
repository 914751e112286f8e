import type { Context, MiddlewareHandler } from "hono";
import { type Duration, toMilliseconds } from "../core/durations";
import { CacheConfigError, errorMessage } from "../core/errors";
import { type Directives, deltaSeconds, parseDirectives, parseList } from "./headers";
import { checkOptionNames } from "./options";
import { ageOf } from "./record";
import { type IsoCache, stateOf } from "./state";

/** The request's `Cache-Control` directives (`Pragma: no-cache` when it has none, as RFC 9111 allows). */
function requestDirectives(c: Context): Directives {
  const state = stateOf(c);
  if (state.parsed !== undefined) return state.parsed;
  const header = c.req.header("cache-control");
  const pragma = header === undefined && parseList(c.req.header("pragma")).includes("no-cache");
  state.parsed = pragma ? new Map([["no-cache", true]]) : parseDirectives(header);
  return state.parsed;
}

/**
 * Lets requests steer `cacheResponse`: `Cache-Control: no-cache` (or `max-age=0`) skips the read
 * and stores the fresh answer, `no-store` bypasses the cache both ways, `max-age=N` refuses a
 * stored response older than N seconds and `min-fresh=N` one expiring within N. Responses served from
 * the cache get `Age` (whole seconds since stored) and a `max-age` (and `s-maxage`) no longer than
 * the route's own nor than the entry's lifetime (its age plus the seconds it has left).
 * Mount it before `cacheResponse`; to let `max-age=N` cap the TTL use `cacheControlTtl`.
 * @example
 * app.use(cacheControl());
 * app.get("/news", cacheResponse({ cache, ttl: cacheControlTtl({ default: "10m" }) }), listNews);
 */
export function cacheControl(): MiddlewareHandler {
  return async function cacheControlMiddleware(c, next) {
    stateOf(c).directives = requestDirectives(c);
    await next();
    const hit = stateOf(c).hit;
    if (hit === undefined) return;
    const cache = c.get("cache") as IsoCache | undefined;
    const now = cache?.clock.now() ?? Date.now();
    const age = ageOf(hit, now);
    const left = Math.max(0, Math.floor((hit.expiresAt - now) / 1000));
    c.header("Age", String(age));
    c.header("Cache-Control", withLifetime(c.res.headers.get("cache-control"), age + left));
  };
}

/**
 * `current` with `max-age` (and `s-maxage`, when the route set one) at most `lifetime` seconds:
 * a client counts freshness as max-age minus `Age` (RFC 9111 §4.2), so a lifetime of the age plus
 * the entry's time left keeps it no longer than the entry, and the route's own shorter max-age
 * (`max-age=0, must-revalidate` on a page) still holds on a hit. Without a route max-age, the hit
 * gets the entry's lifetime.
 */
function withLifetime(current: string | null, lifetime: number): string {
  const kept: string[] = [];
  const directives = parseDirectives(current);
  for (const [name, value] of directives) {
    if (name === "max-age" || name === "s-maxage") continue;
    if (value === true) kept.push(name);
    else
      kept.push(
        /^[!#$%&'*+.^_`|~\w-]+$/.test(value)
          ? `${name}=${value}`
          : `${name}="${value.replace(/["\\]/g, "\\$&")}"`,
      );
  }
  const own = deltaSeconds(directives, "max-age");
  kept.push(`max-age=${own === undefined ? lifetime : Math.min(own, lifetime)}`);
  const shared = deltaSeconds(directives, "s-maxage");
  if (shared !== undefined) kept.push(`s-maxage=${Math.min(shared, lifetime)}`);
  return kept.join(", ");
}

/** Options of `cacheControlTtl`. */
export interface CacheControlTtlOptions {
  /** The TTL when the request sets no smaller `max-age`. */
  default: Duration;
}

/**
 * A `cacheResponse` TTL that a request's `Cache-Control: max-age=N` caps at N seconds (parsed
 * properly: case, spaces, quotes, combined directives); `max-age=0` means nothing is stored.
 * @example
 * app.get("/feed", cacheResponse({ cache, ttl: cacheControlTtl({ default: "5m" }) }), feed);
 */
export function cacheControlTtl(options: CacheControlTtlOptions): (c: Context) => number {
  checkOptionNames("cacheControlTtl", options, ["default"], '{ default: "5m" }');
  const base = toMilliseconds(options.default, "default");
  if (base <= 0) {
    throw new CacheConfigError(
      errorMessage(
        "hono",
        "cacheControlTtl needs a positive `default`",
        'pass for example { default: "5m" }',
      ),
    );
  }
  return (c) => {
    const maxAge = deltaSeconds(requestDirectives(c), "max-age");
    return maxAge === undefined ? base : Math.min(base, maxAge * 1000);
  };
}
