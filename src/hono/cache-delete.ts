import type { MiddlewareHandler } from "hono";
import { clearsCache } from "./headers";
import { stateOf } from "./state";

/**
 * Lets a request with `Clear-Site-Data: "cache"` (quoted or not, alone or in a list, or `"*"`)
 * drop every cached entry of its route (all `vary` variants) and store its own fresh answer in
 * their place. A request the cache does not serve (`Authorization` or `Cookie` not in `vary`, as
 * on a logout, or `no-store`) drops them too, its answer not stored. Mount it before
 * `cacheResponse`, and only where clients may force a recompute; a route's own answer carrying
 * `Clear-Site-Data: "cache"` drops its entries without it.
 * @example
 * app.get("/prices", cacheDelete(), cacheResponse({ cache, ttl: "1h" }), prices);
 */
export function cacheDelete(): MiddlewareHandler {
  return async function cacheDeleteMiddleware(c, next) {
    if (clearsCache(c.req.header("clear-site-data"))) stateOf(c).replace = true;
    await next();
  };
}
