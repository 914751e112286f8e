// The same Hono app on Cloudflare Workers: GET /reports/:id renders once, then comes from the
// cache (X-Cache: HIT, Age) and answers 304 to its ETag. The cache is the Workers KV namespace
// bound as CACHE in the root wrangler.toml, or memory (per isolate) when no binding is there.
//
//   npm run example:worker      (miniflare, reads ../../wrangler.toml; `npx wrangler dev` on Node 22+)
import { Hono } from "hono";
import { cache, runtime } from "isocache";
import { cacheControl, cacheControlTtl, cacheResponse, etag } from "isocache/hono";

/** The KV namespace binding from wrangler.toml; the KV backend needs only `get`, `put`, `delete`, `list`. */
type Bindings = { CACHE?: object };

let backend: string | undefined;
let renders = 0;
const app = new Hono<{ Bindings: Bindings }>();

// Bindings arrive with the first request, so the cache is set up then, once per isolate.
app.use(async (c, next) => {
  if (backend === undefined) {
    cache.setup(c.env.CACHE ? { kv: c.env.CACHE } : "mem://?size=1000");
    backend = c.env.CACHE ? "Workers KV (CACHE)" : "memory";
  }
  await next();
});
app.get("/", (c) =>
  c.text("GET /reports/:id is cached (X-Cache, ETag, Age); GET /stats shows the cache's counters\n"),
);
app.get(
  "/reports/:id",
  etag(),
  cacheControl(),
  // Workers KV keeps entries at least 60 s, so TTLs here are minutes.
  // One entry per report id, whichever host or port the request came through.
  cacheResponse({ cache, key: "report:{param.id}", ttl: cacheControlTtl({ default: "5m" }) }),
  async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // stands in for a slow query
    renders++;
    const id = c.req.param("id");
    return c.json({ id, title: `Report ${id}`, renderedAt: new Date().toISOString(), renders, runtime });
  },
);
app.get("/stats", (c) => c.json({ runtime, backend, renders, ...cache.stats() }));

export default app;
