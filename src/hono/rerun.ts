import type { Context } from "hono";
import { matchedRoutes } from "hono/route";
import { CacheError, errorMessage } from "../core/errors";
import { executionContext } from "./scope";

/**
 * Runs the handlers the route has after `cacheResponse` (the one at `index` of the request's
 * matched routes) on a new context of the same request, and gives that context back once one of
 * them answered. A background refresh runs this way: the request's own context was answered from
 * the cache and belongs to the middleware around this one until Hono sends it, which may be long
 * after the answer (an outer middleware awaiting after `next()`), so it must not be reused.
 */
export async function rerun(c: Context, index: number): Promise<Context> {
  const Fresh = c.constructor as typeof Context;
  const fresh = new Fresh(c.req.raw, { env: c.env, executionCtx: executionContext(c) as never });
  // The same HonoRequest: route params, query and a body already parsed stay readable.
  Object.defineProperty(fresh, "req", { value: c.req });
  for (const [name, value] of Object.entries(c.var)) fresh.set(name as never, value as never);
  const routes = matchedRoutes(c);
  const dispatch = async (at: number): Promise<void> => {
    const route = routes[at];
    if (route === undefined) return;
    c.req.routeIndex = at;
    const res: unknown = await route.handler(fresh, () => dispatch(at + 1));
    // As Hono's compose: a handler's returned Response is the answer unless one was set already.
    if (res instanceof Response && !fresh.finalized) fresh.res = res;
  };
  try {
    await dispatch(index + 1);
  } finally {
    c.req.routeIndex = index;
  }
  if (!fresh.finalized) {
    throw new CacheError(
      errorMessage(
        "hono",
        "the route gave no response when run again to refresh its cached one",
        "return a Response from the route's handler",
      ),
    );
  }
  return fresh;
}
