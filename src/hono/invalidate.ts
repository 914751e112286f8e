// What a route's answer makes stale in the response cache: the URL of a write that succeeded
// (RFC 9111 §4.4), with the same-origin URLs its answer names, or the URL of an answer that says
// `Clear-Site-Data: "cache"`.
import type { Context } from "hono";
import { clearsCache } from "./headers";
import type { Config } from "./response-config";
import type { IsoCache } from "./state";

// RFC 9110 §9.2.1; QUERY (the httpbis draft) is defined safe as well. Any other method, a
// method of unknown safety included, is a write to its target (RFC 9111 §4.4).
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "QUERY"]);

// The answer's fields naming URLs whose stored responses the write may have changed.
const NAMED_URLS = ["location", "content-location"];

/**
 * Once the route answered (`c.res`), drops the stored responses the answer made stale, whether or
 * not the cache served the request (a logout carries `Authorization`, which bypasses it):
 * - an answer with `Clear-Site-Data: "cache"` (or `"*"`): those of the request's URL;
 * - a write to the URL (an unsafe method not in `methods`) answered 2xx or 3xx, unless
 *   `invalidate: false`: those of the URL and of the same-origin URLs in the answer's `Location`
 *   and `Content-Location`.
 * "Those of a URL" is each method of `methods`, every `vary` variant, by their tag. Awaited before
 * the answer goes out, so the client's next read misses.
 */
export async function dropStale(c: Context, cache: IsoCache, config: Config): Promise<void> {
  const write = wroteTo(c, config);
  if (!write && !clearsCache(c.res.headers.get("clear-site-data"))) return;
  const tags = await ownTags(c, config);
  const ofUrl = config.keys.ofUrl;
  if (write && ofUrl !== undefined) {
    for (const url of namedUrls(c)) {
      for (const method of config.methods) tags.add(await ofUrl(method, url));
    }
  }
  tags.delete("");
  await cache.deleteTags(...tags);
}

/** The request was a write to its URL that succeeded, and the middleware invalidates on writes. */
function wroteTo(c: Context, config: Config): boolean {
  const method = c.req.method;
  if (!config.invalidate || SAFE.has(method) || config.methods.has(method)) return false;
  const status = c.res.status;
  return status >= 200 && status < 400;
}

/** The tags of every entry the middleware may have stored for the request's URL: one per method of `methods`. */
async function ownTags(c: Context, config: Config): Promise<Set<string>> {
  const tags = new Set<string>();
  for (const method of config.methods) tags.add(await config.keys.base(c, method));
  return tags;
}

/**
 * The URLs of the answer's `Location` and `Content-Location` (relative ones resolved against the
 * request's), other than the request's own, that have its origin: a write never drops another
 * origin's responses (RFC 9111 §4.4), which would let one site empty another's cache.
 */
function namedUrls(c: Context): string[] {
  const own = new URL(c.req.url);
  const urls: string[] = [];
  for (const name of NAMED_URLS) {
    const value = c.res.headers.get(name);
    if (value === null) continue;
    let url: URL;
    try {
      url = new URL(value, own);
    } catch {
      continue;
    }
    url.hash = "";
    if (url.origin === own.origin && url.href !== own.href) urls.push(url.href);
  }
  return urls;
}
