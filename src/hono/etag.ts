import type { Context, MiddlewareHandler } from "hono";
import { shownValue } from "../core/suggest";
import { ifNoneMatchHits } from "./headers";
import { checkOptionNames, configError } from "./options";
import { isOwnHeadAnswer, readAll, sha256Hex } from "./record";
import { type CachedResponse, stateOf } from "./state";

/** Options of `etag`. */
export interface EtagOptions {
  /** Send `W/"…"` (a weak validator) instead of a strong one; default `false`. */
  weak?: boolean;
}

// RFC 9110 §15.4.5: a 304 carries the fields a 200 would have had that guide caches, nothing else
// but the CORS fields (see `keptOn304`).
const KEPT_ON_304 = new Set([
  "cache-control",
  "content-location",
  "date",
  "etag",
  "expires",
  "vary",
  "last-modified",
  "age",
  "x-cache",
]);

/**
 * Gives 2xx answers to GET and HEAD an ETag from the SHA-256 of the body (Web Crypto), taken
 * from the cached entry without rehashing when `cacheResponse` served or recorded it, and answers
 * `304 Not Modified` with no body when `If-None-Match` matches (lists, `*` and `W/` forms, weak
 * comparison), keeping the caching fields RFC 9110 §15.4.5 lists and the `Access-Control-*` ones.
 * A streamed body is read whole first, since the header precedes it. A response that already has
 * an ETag keeps it. Mount it outside `cacheResponse` and inside any middleware that rewrites
 * bodies (compression).
 * @example
 * app.get("/report", etag(), cacheResponse({ cache, ttl: "1h" }), renderReport);
 */
export function etag(options?: EtagOptions): MiddlewareHandler {
  checkOptionNames("etag", options, ["weak"], "{ weak: true }", true);
  const given = options?.weak;
  if (given !== undefined && typeof given !== "boolean") {
    throw configError(
      `\`weak\` must be true or false, got ${shownValue(given)}`,
      'pass { weak: true } for W/"…" tags',
    );
  }
  const weak = given === true;
  return async function etagMiddleware(c, next) {
    await next();
    const method = c.req.method;
    const status = c.res.status;
    if (method !== "GET" && method !== "HEAD") return;
    if (status < 200 || status >= 300 || status === 204 || status === 206) return;
    const state = stateOf(c);
    if (state.hit !== undefined && state.replayed === c.res) return fromEntry(c, state.hit, weak);
    let tag = c.res.headers.get("etag");
    if (tag === null) {
      const digest = await digestOf(c);
      // A route's own HEAD answer has no body to hash: the empty body's tag would not be the GET's.
      if (digest === undefined) return;
      tag = `${weak ? "W/" : ""}"${digest}"`;
      c.header("ETag", tag);
    }
    if (ifNoneMatchHits(c.req.header("if-none-match"), tag)) await notModified(c);
  };
}

/**
 * The same for an answer that is still `cacheResponse`'s replay of a stored entry: the tag comes
 * from the entry's digest and a 304 is built from its headers, so the stored body is never read
 * (and, on @hono/node-server, never turned into a stream). The replay's headers are its own, so
 * the ETag is set on them in place rather than through `c.header`, which would rebuild it.
 */
function fromEntry(c: Context, entry: CachedResponse, weak: boolean): void {
  const headers = c.res.headers;
  let tag = headers.get("etag");
  if (tag === null) {
    tag = `${weak ? "W/" : ""}"${entry.digest}"`;
    headers.set("etag", tag);
  }
  if (!ifNoneMatchHits(c.req.header("if-none-match"), tag)) return;
  c.res = undefined;
  c.res = new Response(null, { status: 304, headers: keptOn304(headers) });
}

/**
 * The body's digest: from the cache entry or the recording when there is one, else hashed here;
 * `undefined` for a route's own answer to HEAD, which has no body (see `isOwnHeadAnswer`).
 */
async function digestOf(c: Context): Promise<string | undefined> {
  const state = stateOf(c);
  const known = state.hit?.digest ?? (await state.digest?.catch(() => undefined));
  if (known !== undefined) return known;
  const response = c.res;
  if (isOwnHeadAnswer(c.req.method, response)) return undefined;
  const bytes = await readAll(response.body);
  c.res = new Response(bytes as BodyInit, response);
  return sha256Hex(bytes);
}

/**
 * The fields of `from` a 304 keeps, as a plain record: Headers names are unique once lower-cased
 * apart from Set-Cookie, which is not kept, and @hono/node-server writes a record as it is
 * instead of building another Headers from it. The `Access-Control-*` fields (`cors()`) stay too:
 * a browser checks a cross-origin 304 like any answer, and without `Access-Control-Allow-Origin`
 * it fails the revalidation instead of using its stored copy.
 */
function keptOn304(from: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  from.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (KEPT_ON_304.has(lower) || lower.startsWith("access-control-")) kept[lower] = value;
  });
  return kept;
}

async function notModified(c: Context): Promise<void> {
  const response = c.res;
  const headers = keptOn304(response.headers);
  await response.body?.cancel();
  // Cleared first: Hono merges the previous response's headers into the next one it is given.
  c.res = undefined;
  c.res = new Response(null, { status: 304, headers });
}
