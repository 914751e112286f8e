// The same Hono app on Bun, served by Bun.serve: GET /reports/:id renders once, then comes from
// the cache (X-Cache: HIT, Age) and answers 304 to its ETag. Redis when REDIS_URL is set
// (redis://…), memory otherwise.
//
//   npm run example:bun                           memory
//   REDIS_URL=redis://127.0.0.1:6379 npm run example:bun
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
    await Bun.sleep(100); // stands in for a slow query
    renders++;
    const id = c.req.param("id");
    return c.json({ id, title: `Report ${id}`, renderedAt: new Date().toISOString(), renders, runtime });
  },
);
app.get("/stats", (c) => c.json({ runtime, backend, renders, ...cache.stats() }));

const server = Bun.serve({
  fetch: app.fetch,
  hostname: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 3000),
});
console.log(`isocache example on ${runtime} (cache: ${backend}) listening on ${server.url.origin}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await server.stop(true);
    await cache.close(); // closes the Redis connection so the process can exit
    process.exit(0);
  });
}
