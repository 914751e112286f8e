// `npm run example:browser`: bundles src/main.ts with esbuild (the `browser` export condition
// picks isocache's browser entry), then serves the page and a slow JSON API on loopback and
// prints the URL. GET /api/requests tells how many API requests reached the server.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = await build({
  absWorkingDir: here,
  entryPoints: ["src/main.ts"],
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  target: "es2022",
  logLevel: "warning",
});
const files = {
  "/": ["text/html", readFileSync(join(here, "index.html"))],
  "/main.js": ["text/javascript", bundle.outputFiles[0].contents],
};
const PLANETS = [
  { name: "Mercury", diameterKm: 4879 },
  { name: "Venus", diameterKm: 12104 },
  { name: "Earth", diameterKm: 12742 },
  { name: "Mars", diameterKm: 6779 },
];
let apiRequests = 0;

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const planet = /^\/api\/planets\/(\d+)$/.exec(path);
  if (planet && PLANETS[Number(planet[1]) - 1]) {
    apiRequests++;
    await new Promise((resolve) => setTimeout(resolve, 150)); // a slow API makes misses visible
    const body = { ...PLANETS[Number(planet[1]) - 1], servedAt: new Date().toISOString() };
    return send(response, 200, "application/json", JSON.stringify(body));
  }
  if (path === "/api/requests")
    return send(response, 200, "application/json", JSON.stringify({ apiRequests }));
  const file = files[path];
  return file ? send(response, 200, ...file) : send(response, 404, "text/plain", "not found");
});

function send(response, status, type, body) {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  response.end(body);
}

const host = process.env.HOST ?? "127.0.0.1";
server.listen(Number(process.env.PORT ?? 5173), host, () => {
  console.log(`isocache browser example listening on http://${host}:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
