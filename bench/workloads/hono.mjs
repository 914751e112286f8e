// Hono: a 40 KiB route with revalidating clients (If-None-Match), open-loop load on loopback in
// steps of rising request rates (bounded in count and time), isocache's cacheResponse + etag vs
// the same route with hono/etag. The server runs in its own process; this one only sends.
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { MISSING } from "../lib/isocache.mjs";
import { formatMs, formatRatio } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";
import { openLoad, requestBytes } from "./hono-load.mjs";
import { PAGE_BYTES } from "./hono-server.mjs";

// Offered rates rise by about 1.2x a step, far past what either route sustains on this machine,
// so each run finds both ceilings and the ratio between them is known to within one step.
const RATES = [
  500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 9500, 11000, 13000, 15000, 18000,
  21000, 25000, 30000, 36000, 43000,
];
const P99_LIMIT_MS = 100;

function startServer(variant) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("./hono-server.mjs", import.meta.url)), variant],
      { stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        child.kill("SIGTERM");
      });
    /** The server's user + system CPU time so far, in µs. */
    const cpu = () =>
      new Promise((done) => {
        child.once("message", (m) => done(m.cpu.user + m.cpu.system));
        child.send("cpu");
      });
    child.stdout.once("data", (d) => resolve({ port: JSON.parse(String(d)).port, stop, cpu }));
    child.once("exit", (code) => reject(new Error(`server exited with ${code}: ${err.split("\n")[0]}`)));
  });
}

function request(agent, port, headers) {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/page", agent, headers }, (res) => {
      let bytes = 0;
      res.on("data", (chunk) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode, etag: res.headers.etag, bytes }));
    });
    req.on("error", () => resolve({ status: 0, bytes: 0 }));
    req.setTimeout(5000, () => req.destroy());
    req.end();
  });
}

/** Checks the route: a full 200 first, then 304 with no body for a client holding the ETag. */
async function check(agent, port) {
  const first = await request(agent, port, {});
  if (first.status !== 200 || first.bytes < PAGE_BYTES * 0.99 || !first.etag)
    throw new Error(`first response: ${first.status}, ${first.bytes} bytes, etag ${first.etag}`);
  const again = await request(agent, port, { "if-none-match": first.etag });
  if (again.status !== 304 || again.bytes !== 0)
    throw new Error(`revalidation answered ${again.status} with ${again.bytes} bytes`);
  return first.etag;
}

/** Keep-alive connections per route: enough that the client never queues below the server's ceiling. */
const CONNECTIONS = 64;

async function startVariant(variant) {
  const server = await startServer(variant);
  const agent = new http.Agent({ keepAlive: true });
  try {
    const etag = await check(agent, server.port);
    const load = await openLoad(
      server.port,
      requestBytes(server.port, "/page", { "If-None-Match": etag }),
      CONNECTIONS,
    );
    return { variant, server, load, steps: [], done: false };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    agent.destroy();
  }
}

function formatUs(us) {
  return Number.isFinite(us) ? `${us.toFixed(0)} µs` : "—";
}

function sustained(s) {
  return s.achieved >= 0.95 * s.rate && s.p99 <= P99_LIMIT_MS && s.bad === 0;
}

/** One step, with the CPU time the server and this generator spent per answered request (µs). */
async function measuredStep(v, rate, seconds) {
  const server0 = await v.server.cpu();
  const own0 = process.cpuUsage();
  const s = await v.load.step(rate, seconds);
  const own = process.cpuUsage(own0);
  const answered = s.achieved > 0 ? Math.round(s.achieved * s.elapsed) : 0;
  s.serverUs = answered > 0 ? ((await v.server.cpu()) - server0) / answered : Number.NaN;
  s.clientUs = answered > 0 ? (own.user + own.system) / answered : Number.NaN;
  return s;
}

/**
 * Both routes take each offered rate in turn (so a burst of load from others on this shared
 * machine falls on both alike), from RATES[0] up until a route saturates, which ends its run.
 */
async function measureBoth(variants, quick) {
  const seconds = quick ? 1 : 1.5;
  for (const v of variants) await v.load.step(2000, 1); // warm-up: JIT and the cache entry
  for (const rate of RATES) {
    const active = variants.filter((v) => !v.done);
    if (active.length === 0) break;
    for (const v of active) {
      let s = await measuredStep(v, rate, seconds);
      // Others' work on this shared machine comes in bursts: a step that fails is taken once more
      // (the same rule for both routes) before it counts as the route's ceiling.
      if (!sustained(s) && !s.late && s.bad === 0) {
        s.retried = true;
        v.steps.push(s);
        s = await measuredStep(v, rate, seconds);
      }
      v.steps.push(s);
      if (!sustained(s)) v.done = true;
    }
  }
  for (const v of variants) v.best = v.steps.filter(sustained).at(-1);
}

export default async function run({ quick }) {
  const variants = [await startVariant("hono-etag")];
  let iso;
  try {
    await import("isocache/hono");
    iso = await startVariant("isocache");
    variants.push(iso);
  } catch (error) {
    iso = {
      variant: "isocache",
      missing: `${MISSING} (isocache/hono: ${String(error.message ?? error)
        .split("\n")[0]
        .slice(0, 100)})`,
    };
  }
  try {
    await measureBoth(variants, quick);
  } finally {
    for (const v of variants) {
      v.load.close();
      await v.server.stop();
    }
  }
  const results = [variants[0], iso];
  const base = results[0];
  // The target compares like with like: the highest rate isocache sustained at a p99 no higher
  // than hono/etag's at its own highest sustained rate (each route's ceiling is also shown).
  const atBaseP99 =
    iso.missing || base.best === undefined
      ? undefined
      : iso.steps.filter((s) => sustained(s) && s.p99 <= base.best.p99).at(-1);
  const rows = [];
  for (const r of results) {
    const name = r.variant === "isocache" ? "**isocache cacheResponse + etag**" : "hono/etag";
    if (r.missing) {
      rows.push([name, r.missing, "—", "—", "—", "—", "—"]);
      continue;
    }
    for (const s of r.steps)
      rows.push([
        name,
        String(s.rate),
        s.achieved.toFixed(0),
        `${formatMs(s.p50)} / ${formatMs(s.p99)}`,
        formatUs(s.serverUs),
        formatUs(s.clientUs),
        s === r.best
          ? `highest sustained${s === atBaseP99 ? "; highest at p99 ≤ hono/etag's" : ""}`
          : s === atBaseP99
            ? "highest at p99 ≤ hono/etag's"
            : s.retried
              ? "missed, taken again"
              : s.bad
                ? `${s.bad} failed`
                : s.achieved < 0.95 * s.rate || s.p99 > P99_LIMIT_MS
                  ? "saturated"
                  : "",
      ]);
  }
  const bestOf = (r) => r?.best?.rate ?? Number.NaN;
  const ratio = (atBaseP99?.rate ?? Number.NaN) / bestOf(base);
  const ceilings = bestOf(iso) / bestOf(base);
  return {
    id: "hono",
    title: "Hono",
    description: `A ${PAGE_BYTES / 1024} KiB HTML route served by @hono/node-server, each route in its own process; every client revalidates with If-None-Match (the answer is 304, no body; checked before timing). Open-loop load from one other process on loopback over ${CONNECTIONS} keep-alive connections per route, each request one write of pre-built bytes (no pipelining), so the generator spends a fraction of the server's CPU per request (both columns below). Offered rates rise by about 1.2x a step (${quick ? 1 : 1.5} s each, bounded); the two routes take each rate in turn, so bursts of other load on this shared machine fall on both. Latency counts from when each request was due, so queueing shows. A step is sustained when at least 95% of the offered rate completed, none failed and p99 ≤ ${P99_LIMIT_MS} ms; a missed step is taken once more, and a route stops at its second miss. The target's ratio is the highest rate isocache sustained at a p99 no higher than hono/etag's at hono/etag's highest sustained rate, over that rate. CPU per request is the server's (or the generator's) user + system time over the step divided by the answers; it is inflated when other processes share the cores, but both routes see the same machine. The 2 cores are shared by the generator and the server (hono/etag's SHA-1 also runs on the thread pool).`,
    tables: [
      {
        columns: [
          "route",
          "offered req/s",
          "achieved req/s",
          "p50 / p99",
          "server CPU / req",
          "generator CPU / req",
          "note",
        ],
        rows,
      },
    ],
    charts: [
      {
        file: "hono-rps.svg",
        svg: barChart({
          title: "Hono: highest sustained request rate (304 revalidations)",
          subtitle: "higher is better",
          bars: results.map((r) => ({
            label: r.variant === "isocache" ? "isocache cacheResponse + etag" : "hono/etag",
            value: r.missing ? 0 : bestOf(r),
            text: r.missing ? "not available" : `${bestOf(r)} req/s (p99 ${formatMs(r.best?.p99)})`,
            highlight: r.variant === "isocache",
            missing: Boolean(r.missing),
          })),
        }),
      },
    ],
    targets: [
      {
        text: "at least 2x the requests per second at equal or lower p99",
        met: iso.missing ? null : ratio >= 2,
        detail: iso.missing
          ? MISSING
          : `${formatRatio(ratio)} at equal or lower p99 (${atBaseP99?.rate ?? "—"} req/s at p99 ${formatMs(atBaseP99?.p99)} vs ${bestOf(base)} req/s at p99 ${formatMs(base.best?.p99)}); highest sustained ${bestOf(iso)} vs ${bestOf(base)} req/s (${formatRatio(ceilings)}, p99 ${formatMs(iso.best?.p99)} vs ${formatMs(base.best?.p99)})`,
      },
    ],
  };
}
