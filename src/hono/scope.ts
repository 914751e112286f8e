import type { Context, MiddlewareHandler } from "hono";
import { CacheConfigError, errorMessage } from "../core/errors";
import type { WaitUntil } from "../core/scope";
import type { CacheVariables, IsoCache } from "./state";

/**
 * `c.executionCtx`, or `undefined` where the adapter gave none (Node, Bun, Deno), where Hono's
 * getter throws. That throw happens on every request there, and capturing its stack trace cost
 * about a tenth of a cached 304 on Node, so the trace is switched off around the read.
 */
export function executionContext(c: Context): { waitUntil?: unknown } | undefined {
  const limit = Error.stackTraceLimit;
  let lowered = false;
  try {
    Error.stackTraceLimit = 0;
    lowered = true;
  } catch {
    // A frozen Error (hardened realms): the read below still works, only slower.
  }
  try {
    return c.executionCtx as { waitUntil?: unknown } | undefined;
  } catch {
    return undefined;
  } finally {
    if (lowered) Error.stackTraceLimit = limit;
  }
}

/** The platform's `waitUntil` for this request: Workers' `c.executionCtx.waitUntil`, else none. */
export function requestWaitUntil(c: Context): WaitUntil | undefined {
  const ctx = executionContext(c);
  const waitUntil = ctx?.waitUntil;
  if (typeof waitUntil !== "function") return undefined;
  return (promise) => waitUntil.call(ctx, promise);
}

/**
 * Runs `fn` so the cache's background work (early refreshes, stores finishing after a streamed
 * response) goes to the request's `waitUntil` on Workers; elsewhere the `waitUntil` already in
 * the cache's context (from an outer `cache.withRequest`) stays in force.
 */
export function inRequestScope<T>(c: Context, cache: IsoCache, fn: () => T): T {
  const waitUntil = requestWaitUntil(c);
  return waitUntil === undefined ? fn() : cache.withRequest({ waitUntil }, fn);
}

/** The cache a middleware uses: its own option, else the one an earlier middleware put in `c.var.cache`. */
export function resolveCache<C extends IsoCache>(c: Context, own: C | undefined, who: string): C {
  const cache = own ?? (c.get("cache") as C | undefined);
  if (cache === undefined || typeof (cache as { cached?: unknown }).cached !== "function") {
    throw new CacheConfigError(
      errorMessage(
        "hono",
        `${who} has no cache`,
        'pass { cache } (import { cache } from "isocache") or mount cacheContext({ cache }) before it',
      ),
    );
  }
  c.set("cache", cache);
  return cache;
}

/**
 * Puts a cache in `c.var.cache` for the handlers and middleware after it, and hands the cache's
 * background work to the request's `waitUntil` on Workers (`c.executionCtx.waitUntil`).
 * @example
 * const app = new Hono<{ Variables: CacheVariables }>();
 * app.use(cacheContext({ cache }));
 * app.get("/user/:id", async (c) => c.json(await c.var.cache.get(`user:${c.req.param("id")}`)));
 */
export function cacheContext<C extends IsoCache>(options: {
  cache: C;
}): MiddlewareHandler<{ Variables: CacheVariables<C> }> {
  const own = options.cache;
  return async function cacheContextMiddleware(c, next) {
    const cache = resolveCache(c, own, "cacheContext");
    await inRequestScope(c, cache, next);
  };
}
