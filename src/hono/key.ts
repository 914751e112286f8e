import type { Context } from "hono";
import { CacheConfigError, errorMessage } from "../core/errors";
import { compileKey } from "../keys/index";

/** What a `cacheResponse` key template can read: `{method}`, `{url}`, `{path}`, `{query.page}` (every value of a repeated name), `{param.id}`. */
const TEMPLATE_NAMES = ["method", "url", "path", "query", "param"];

/** The default key: method and full URL (query included). */
export const DEFAULT_KEY = "hono:{method}:{url}";

/** How `cacheResponse` names a route's entry before the `vary` part. */
export type ResponseKey = string | ((c: Context) => string | Promise<string>);

/**
 * Renders one request's keys: `base` (the route, also its tag) and `key` (base plus the hashed
 * vary headers). `method` is what a template's `{method}` reads: the method whose entry answers
 * the request (GET for a HEAD request).
 */
export type KeyRenderer = (c: Context, method: string) => Promise<{ base: string; key: string }>;

// Hashing the vary headers keeps credentials (Authorization, Cookie) out of keys, logs and `scan`.
const varyDigest = compileKey("{0:hash(sha256)}", ["values"]);

/**
 * Compiles the key option once: a template through the core's key templates (so a typo throws
 * `CacheConfigError` when the middleware is created) or a function of the context. The `vary`
 * headers always go into the key as a SHA-256 of their names and values, whatever `key` is.
 */
export function keyRenderer(key: ResponseKey | undefined, vary: readonly string[]): KeyRenderer {
  const base = baseRenderer(key ?? DEFAULT_KEY);
  return async (c, method) => {
    const rendered = await base(c, method);
    if (typeof rendered !== "string" || rendered === "") {
      throw new CacheConfigError(
        errorMessage("hono", "cacheResponse key function returned no key", "return a non-empty string"),
      );
    }
    if (vary.length === 0) return { base: rendered, key: rendered };
    const values = vary.map((name) => `${name}=${c.req.header(name) ?? ""}`).join("\n");
    return { base: rendered, key: `${rendered}:vary:${await varyDigest([values])}` };
  };
}

function baseRenderer(key: ResponseKey): (c: Context, method: string) => string | Promise<string> {
  if (typeof key === "function") return (c) => key(c);
  if (typeof key !== "string") {
    throw new CacheConfigError(
      errorMessage("hono", "cacheResponse `key` must be a template or a function", 'use key: "page:{path}"'),
    );
  }
  const template = compileKey(key, TEMPLATE_NAMES, { name: "cacheResponse" });
  return (c, method) => {
    const url = c.req.url;
    const args = [method, url, c.req.path, queryValues(c), c.req.param()];
    return template(args);
  };
}

/**
 * The query as templates read it: a name's value, or all its values when it repeats, so
 * `?a=1&a=2` (which a route reading `c.req.queries("a")` answers differently) is not `?a=1`.
 */
function queryValues(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  // No prototype, as Hono's own: `?__proto__=1&__proto__=2` is a name like any other.
  const values: Record<string, string | string[]> = Object.create(null);
  for (const [name, list] of Object.entries(all))
    values[name] = list.length === 1 ? (list[0] as string) : list;
  return values;
}
