import type { Context } from "hono";
import { getPath, getQueryParams } from "hono/utils/url";
import { CacheConfigError, errorMessage } from "../core/errors";
import { compileKey } from "../keys/index";

/** What a `cacheResponse` key template can read: `{method}`, `{url}`, `{path}`, `{query.page}` (every value of a repeated name), `{param.id}`. */
const TEMPLATE_NAMES = ["method", "url", "path", "query", "param"];

/** The default key: method and full URL (query included). */
export const DEFAULT_KEY = "hono:{method}:{url}";

/**
 * How `cacheResponse` names a route's entry before the `vary` part: a template, or a function of
 * the context and the method whose entry it names (GET for a HEAD request, and for the
 * invalidation after a write to the URL); key by that method rather than by `c.req.method`.
 */
export type ResponseKey = string | ((c: Context, method: string) => string | Promise<string>);

/**
 * Renders one request's keys: `base` (the route, also its tag) and `key` (base plus the hashed
 * vary headers). `method` is what a template's `{method}` reads: the method whose entry answers
 * the request (GET for a HEAD request).
 */
export interface KeyRenderer {
  (c: Context, method: string): Promise<{ base: string; key: string }>;
  /** The `base` alone. */
  base(c: Context, method: string): Promise<string>;
  /**
   * The `base` of the entry another URL of this origin has for `method` (empty when there is
   * none), or `undefined` for a key that needs the route's context: a function, or a template
   * reading `{param.…}`, which only a request routed to that URL has.
   */
  readonly ofUrl: ((method: string, url: string) => string | Promise<string>) | undefined;
}

// Hashing the vary headers keeps credentials (Authorization, Cookie) out of keys, logs and `scan`.
const varyDigest = compileKey("{0:hash(sha256)}", ["values"]);

/**
 * Compiles the key option once: a template through the core's key templates (so a typo throws
 * `CacheConfigError` when the middleware is created) or a function of the context. The `vary`
 * headers always go into the key as a SHA-256 of their names and values, whatever `key` is.
 */
export function keyRenderer(key: ResponseKey | undefined, vary: readonly string[]): KeyRenderer {
  const given = key ?? DEFAULT_KEY;
  const rendered = baseRenderer(given);
  const base = async (c: Context, method: string) => {
    const text = await rendered(c, method);
    if (typeof text !== "string" || text === "") {
      throw new CacheConfigError(
        errorMessage("hono", "cacheResponse key function returned no key", "return a non-empty string"),
      );
    }
    return text;
  };
  const render = async (c: Context, method: string) => {
    const name = await base(c, method);
    if (vary.length === 0) return { base: name, key: name };
    const values = vary.map((header) => `${header}=${c.req.header(header) ?? ""}`).join("\n");
    return { base: name, key: `${name}:vary:${await varyDigest([values])}` };
  };
  return Object.assign(render, { base, ofUrl: urlRenderer(given) });
}

function baseRenderer(key: ResponseKey): (c: Context, method: string) => string | Promise<string> {
  if (typeof key === "function") return (c, method) => key(c, method);
  if (typeof key !== "string") {
    throw new CacheConfigError(
      errorMessage("hono", "cacheResponse `key` must be a template or a function", 'use key: "page:{path}"'),
    );
  }
  const template = compileKey(key, TEMPLATE_NAMES, { name: "cacheResponse" });
  return (c, method) => {
    const args = [method, c.req.url, c.req.path, queryValues(c.req.queries()), c.req.param()];
    return template(args);
  };
}

/** A template's base for a URL alone (see `KeyRenderer.ofUrl`); the path read as Hono's router reads it. */
function urlRenderer(key: ResponseKey): KeyRenderer["ofUrl"] {
  if (typeof key !== "string") return undefined;
  let template: ReturnType<typeof compileKey>;
  try {
    // The template compiled against every name already; failing without `param` means it reads it.
    template = compileKey(key, TEMPLATE_NAMES.slice(0, -1), { name: "cacheResponse" });
  } catch {
    return undefined;
  }
  return (method, url) =>
    template([
      method,
      url,
      getPath(new Request(url)),
      queryValues(getQueryParams(url) as Record<string, string[]>),
    ]);
}

/**
 * The query as templates read it: a name's value, or all its values when it repeats, so
 * `?a=1&a=2` (which a route reading `c.req.queries("a")` answers differently) is not `?a=1`.
 */
function queryValues(all: Record<string, string[]>): Record<string, string | string[]> {
  // No prototype, as Hono's own: `?__proto__=1&__proto__=2` is a name like any other.
  const values: Record<string, string | string[]> = Object.create(null);
  for (const [name, list] of Object.entries(all))
    values[name] = list.length === 1 ? (list[0] as string) : list;
  return values;
}
