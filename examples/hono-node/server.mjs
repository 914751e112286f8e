// A Hono app on Node with whole responses cached by isocache: the first GET /reports/:id renders
// (slowly), later ones are served from the cache with X-Cache: HIT, and a client that sends the
// ETag back gets 304. The cache is Redis when REDIS_URL is set (redis://…), memory otherwise.
//
//   npm run example:node                          memory
//   REDIS_URL=redis://127.0.0.1:6379 npm run example:node
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { cache, runtime } from "isocache";
import { cacheControl, cacheControlTtl, cacheResponse, etag } from "isocache/hono";

const redisUrl = process.env.REDIS_URL;
cache.setup(redisUrl ?? "mem://?size=1000");
// Only the host: a Redis URL may carry a password.
const backend = redisUrl ? `redis at ${new URL(redisUrl).host}` : "memory";

let renders = 0;
const app = new Hono();
app.get("/", (c) =>
  c.text("GET /reports/:id is cached (X-Cache, ETag, Age); GET /stats shows the cache's counters\n"),
);
app.get(
  "/reports/:id",
  etag(),
  cacheControl(),
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

const hostname = process.env.HOST ?? "127.0.0.1";
const server = serve({ fetch: app.fetch, hostname, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(
    `isocache example on ${runtime} (cache: ${backend}) listening on http://${hostname}:${info.port}`,
  );
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    server.close();
    await cache.close(); // closes the Redis connection so the process can exit
    process.exit(0);
  });
}
