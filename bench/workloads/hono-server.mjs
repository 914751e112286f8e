// The Hono app under load, in its own process: a 40 KiB route behind isocache's cacheResponse +
// etag, or the same route behind hono/etag. Prints its port once listening; ends on SIGTERM.

import { pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

export const PAGE_BYTES = 40 * 1024;

/** A deterministic 40 KiB HTML page. */
export function page() {
  const rows = [];
  for (let i = 0; rows.join("").length < PAGE_BYTES - 64; i++)
    rows.push(`<li id="r${i}">row ${i}: ${"lorem ipsum ".repeat(4)}</li>\n`);
  return `<!doctype html><ul>\n${rows.join("")}</ul>`.padEnd(PAGE_BYTES, " ");
}

async function app(variant) {
  const body = page();
  const hono = new Hono();
  const handler = (c) => c.html(body);
  if (variant === "hono-etag") {
    const { etag } = await import("hono/etag");
    hono.get("/page", etag(), handler);
  } else {
    const { Cache } = await import("isocache");
    const { cacheResponse, etag } = await import("isocache/hono");
    const cache = new Cache().setup("mem://?size=1000");
    hono.get("/page", etag(), cacheResponse({ cache, ttl: "1h" }), handler);
  }
  return hono;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const hono = await app(process.argv[2]);
  const server = serve({ fetch: hono.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
    process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
  });
  // The load generator's connections idle between its steps; Node's default 5 s would close them.
  server.keepAliveTimeout = 60_000;
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
  // The load generator asks for this process's CPU time around each step (IPC), and a parent
  // that goes away takes this server with it.
  process.on("message", (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() });
  });
  process.on("disconnect", () => process.exit(0));
}
