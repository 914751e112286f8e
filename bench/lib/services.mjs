// The services the Redis workloads need, started by the bench itself: a redis-server on a free
// loopback port (no persistence) and the project's Upstash-compatible gateway in front of it
// (test/support/upstash-gateway.ts, compiled with esbuild into node_modules/.cache; nothing installed).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** The redis-server version, or undefined when it is not installed. */
export function redisVersion() {
  const result = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (result.status !== 0) return undefined;
  return /v=([\d.]+)/.exec(result.stdout)?.[1] ?? result.stdout.trim();
}

/**
 * Installs Debian's redis-server with apt-get when it is missing, as root or through `sudo -n`,
 * the way .ci/run does; returns its version, or `undefined` (with the reason printed) when it is
 * still missing.
 */
export function ensureRedisServer() {
  const have = redisVersion();
  if (have !== undefined) return have;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const sudo = !root && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0;
  if (!root && !sudo) {
    console.log("bench: redis-server is missing and neither root nor sudo is available to install it");
    return undefined;
  }
  console.log("bench: installing redis-server (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args) =>
    spawnSync(sudo ? "sudo" : args[0], sudo ? ["-n", ...args] : args.slice(1), {
      stdio: ["ignore", "ignore", "inherit"],
      env,
      timeout: 600_000,
    });
  run(["apt-get", "update", "-qq"]);
  const installed = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server"]);
  if (installed.status !== 0) console.log("bench: apt-get install redis-server failed");
  return redisVersion();
}

/** Starts redis-server on a free loopback port; `stop()` ends it and removes its directory. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "isocache-bench-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", [...args, "--dir", dir, "--loglevel", "warning"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  child.on("error", () => undefined);
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("redis-server did not start");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Compiles and starts the project's Upstash-compatible gateway in front of `redisUrl`. */
export async function startGateway(root, redisUrl) {
  const { build } = await import("esbuild");
  const outDir = join(root, "node_modules", ".cache", "isocache-bench");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "upstash-gateway.mjs");
  await build({
    entryPoints: [join(root, "test", "support", "upstash-gateway.ts")],
    outfile,
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  const { startGateway: start } = await import(outfile);
  return start({ redisUrl });
}
