// `npm run bench`: builds the package, starts its own redis-server and Upstash-compatible
// gateway on loopback, runs every workload in its own Node process, and writes bench/RESULTS.md
// with one table per workload and the SVG charts in bench/charts/. Flags: --quick (fewer
// rounds), --only=hit,trace (a subset), --no-build (reuse dist/), --no-install (never install
// redis-server; by default a missing one is installed with apt-get as root or with sudo -n).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeReport } from "./lib/report.mjs";
import { ensureRedisServer, redisVersion, startGateway, startRedis } from "./lib/services.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const WORKLOADS = [
  { name: "hit", timeoutS: 300 },
  { name: "stampede", timeoutS: 120, redis: true },
  { name: "trace", timeoutS: 300, redis: true },
  { name: "http", timeoutS: 90, redis: true },
  { name: "hono", timeoutS: 120 },
  { name: "size", timeoutS: 120 },
  { name: "memory", timeoutS: 120, flags: ["--expose-gc"] },
];

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",");
const selected = WORKLOADS.filter((w) => only === undefined || only.includes(w.name));
const started = Date.now();

if (!args.includes("--no-build")) {
  console.log("bench: building the package (tsup)");
  const build = spawnSync(join(root, "node_modules", ".bin", "tsup"), {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (build.status !== 0) throw new Error("the build failed; run `npm run build` to see why");
}

const tmp = join(root, "bench", ".tmp");
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

let redis;
let gateway;
const context = { quick, root };
if (selected.some((w) => w.redis)) {
  const version = args.includes("--no-install") ? redisVersion() : ensureRedisServer();
  if (version === undefined) {
    console.log(
      "bench: redis-server not found (apt-get install -y redis-server); Redis workloads are skipped",
    );
  } else {
    redis = await startRedis();
    gateway = await startGateway(root, redis.url);
    Object.assign(context, { redisUrl: redis.url, upstashUrl: gateway.url, upstashToken: gateway.token });
    console.log(`bench: redis-server on ${redis.url}, gateway on ${gateway.url}`);
  }
}

const loadBefore = (await import("node:os")).loadavg();
const results = [];
try {
  for (const workload of selected) {
    const t0 = Date.now();
    console.log(`bench: ${workload.name} ...`);
    if (workload.redis && redis === undefined) {
      results.push({
        id: workload.name,
        title: workload.name,
        error: "redis-server is not installed: skipped",
      });
      continue;
    }
    const result = await runChild(workload, context);
    result.seconds = (Date.now() - t0) / 1000;
    results.push(result);
    console.log(
      `bench: ${workload.name} done in ${result.seconds.toFixed(1)} s${result.error ? ` (error: ${result.error})` : ""}`,
    );
  }
} finally {
  await gateway?.close().catch(() => undefined);
  await redis?.stop().catch(() => undefined);
}
const loadAfter = (await import("node:os")).loadavg();

const file = writeReport(root, results, {
  quick,
  seconds: (Date.now() - started) / 1000,
  load: { before: loadBefore, after: loadAfter },
  redis: redisVersion(),
  partial: only !== undefined,
});
console.log(`bench: wrote ${file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);

function runChild(workload, ctx) {
  const out = join(tmp, `${workload.name}.json`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...(workload.flags ?? []), join(root, "bench", "lib", "child.mjs"), workload.name, out],
      {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, ISOCACHE_BENCH_CONTEXT: JSON.stringify(ctx) },
      },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), workload.timeoutS * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        try {
          return resolve(JSON.parse(readFileSync(out, "utf8")));
        } catch (error) {
          return resolve({
            id: workload.name,
            title: workload.name,
            error: `unreadable result (${error.message})`,
          });
        }
      }
      const why =
        signal === "SIGKILL" ? `stopped after ${workload.timeoutS} s` : `exited with ${code ?? signal}`;
      resolve({ id: workload.name, title: workload.name, error: why });
    });
  });
}
