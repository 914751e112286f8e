// Compile-time checks (tsc --noEmit, `npm run typecheck`) that the middleware types `c.var.cache`
// through Hono's Variables: a route after cacheResponse or cacheContext sees the very cache class
// it was given, without declaring Variables on the app. The runtime part only mounts the routes.
import { Hono } from "hono";
import { describe, expect, expectTypeOf, it } from "vitest";
import { Cache } from "../../runtimes/node";
import { type CacheVariables, cacheContext, cacheControlTtl, cacheResponse } from "../../src/hono/index";

describe("isocache/hono types", () => {
  it("infers c.var.cache from the middleware", async () => {
    const cache = new Cache();
    const app = new Hono();
    app.get("/a", cacheResponse({ cache, ttl: "1m" }), (c) => {
      expectTypeOf(c.var.cache).toEqualTypeOf<Cache>();
      return c.text("a");
    });
    app.use("/b/*", cacheContext({ cache }));
    app.get("/b/x", cacheContext({ cache }), (c) => {
      expectTypeOf(c.var.cache).toEqualTypeOf<Cache>();
      return c.text("b");
    });
    const typed = new Hono<{ Variables: CacheVariables<Cache> }>();
    typed.get("/t", cacheResponse({ ttl: cacheControlTtl({ default: "5m" }) }), (c) => {
      expectTypeOf(c.var.cache).toEqualTypeOf<Cache>();
      return c.text("t");
    });
    // @ts-expect-error ttl is required
    expect(() => cacheResponse({ cache })).toThrow(/ttl/);
    expect((await app.request("/a")).headers.get("x-cache")).toBe("MISS");
  });
});
