// The same Hono app on Deno, served by Deno.serve: GET /reports/:id renders once, then comes from
// the cache (X-Cache: HIT, Age) and answers 304 to its ETag. Redis when REDIS_URL is set
// (redis://…), memory otherwise. Deno resolves `hono` and `isocache` through package.json.
//
//   npm run example:deno                          memory
//   REDIS_URL=redis://127.0.0.1:6379 npm run example:deno
import { Hono } from "hono";
import { cache, runtime } from "isocache";
import { cacheControl, cacheControlTtl, cacheResponse, etag } from "isocache/hono";

const redisUrl = Deno.env.get("REDIS_URL");
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

const hostname = Deno.env.get("HOST") ?? "127.0.0.1";
const server = Deno.serve(
  {
    hostname,
    port: Number(Deno.env.get("PORT") ?? 3000),
    onListen: ({ port }) =>
      console.log(
        `isocache example on ${runtime} (cache: ${backend}) listening on http://${hostname}:${port}`,
      ),
  },
  app.fetch,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.shutdown();
    await cache.close(); // closes the Redis connection so the process can exit
    Deno.exit(0);
  });
}
