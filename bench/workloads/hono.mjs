// Hono: a 40 KiB route with revalidating clients (If-None-Match), open-loop load on loopback in
// steps of rising request rates (bounded in count and time), isocache's cacheResponse + etag vs
// the same route with hono/etag. The server runs in its own process; this one only sends.
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { MISSING } from "../lib/isocache.mjs";
import { formatMs, formatRatio, quantile } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";
import { PAGE_BYTES } from "./hono-server.mjs";

const RATES = [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 11000];
const P99_LIMIT_MS = 100;

function startServer(variant) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("./hono-server.mjs", import.meta.url)), variant],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    const stop = () =>
      new Promise((done) => {
        child.once("exit", done);
        child.kill("SIGTERM");
      });
    child.stdout.once("data", (d) => resolve({ port: JSON.parse(String(d)).port, stop }));
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

/** Open loop: requests are due at a fixed rate whatever the answers; latency counts from when each was due. */
async function step(agent, port, etag, rate, seconds) {
  const total = Math.round(rate * seconds);
  const latencies = [];
  let bad = 0;
  let sent = 0;
  const t0 = performance.now();
  const pending = [];
  await new Promise((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      for (; sent < due; sent++) {
        const dueAt = t0 + (sent / rate) * 1000;
        pending.push(
          request(agent, port, { "if-none-match": etag }).then((r) => {
            if (r.status === 304) latencies.push(performance.now() - dueAt);
            else bad++;
          }),
        );
      }
      // A 1 ms timer, not a busy loop: the generator must leave the server its core.
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  return {
    rate,
    achieved: latencies.length / elapsed,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    bad,
  };
}

async function measureVariant(variant, quick) {
  const server = await startServer(variant);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  try {
    const etag = await check(agent, server.port);
    await step(agent, server.port, etag, 500, 0.5); // warm-up
    const steps = [];
    for (const rate of RATES) {
      const s = await step(agent, server.port, etag, rate, quick ? 1 : 2);
      steps.push(s);
      if (s.achieved < 0.95 * rate || s.p99 > P99_LIMIT_MS * 4 || s.bad > 0) break; // saturated: stop
    }
    const ok = steps.filter((s) => s.achieved >= 0.95 * s.rate && s.p99 <= P99_LIMIT_MS && s.bad === 0);
    const best = ok[ok.length - 1];
    return { variant, steps, best };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

export default async function run({ quick }) {
  const results = [];
  results.push(await measureVariant("hono-etag", quick));
  let iso;
  try {
    await import("isocache/hono");
    iso = await measureVariant("isocache", quick);
  } catch (error) {
    iso = {
      variant: "isocache",
      missing: `${MISSING} (isocache/hono: ${String(error.message ?? error)
        .split("\n")[0]
        .slice(0, 100)})`,
    };
  }
  results.push(iso);
  const base = results[0];
  const rows = [];
  for (const r of results) {
    const name = r.variant === "isocache" ? "**isocache cacheResponse + etag**" : "hono/etag";
    if (r.missing) {
      rows.push([name, r.missing, "—", "—", "—"]);
      continue;
    }
    for (const s of r.steps)
      rows.push([
        name,
        String(s.rate),
        s.achieved.toFixed(0),
        `${formatMs(s.p50)} / ${formatMs(s.p99)}`,
        s === r.best
          ? "highest sustained"
          : s.bad
            ? `${s.bad} failed`
            : s.achieved < 0.95 * s.rate || s.p99 > P99_LIMIT_MS
              ? "saturated"
              : "",
      ]);
  }
  const bestOf = (r) => r?.best?.rate ?? Number.NaN;
  const ratio = bestOf(iso) / bestOf(base);
  return {
    id: "hono",
    title: "Hono",
    description: `A ${PAGE_BYTES / 1024} KiB HTML route served by @hono/node-server in its own process; every client revalidates with If-None-Match (the answer is 304, no body; checked before timing). Open-loop load from one other process on loopback: steps of rising rates (${quick ? 1 : 2} s each, bounded, stopping at the first saturated step); latency counts from when each request was due, so queueing shows. A step is sustained when at least 95% of the offered rate completed and p99 ≤ ${P99_LIMIT_MS} ms. Both processes share the machine's 2 cores, so the highest rates measure the load generator too.`,
    tables: [{ columns: ["route", "offered req/s", "achieved req/s", "p50 / p99", "note"], rows }],
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
        met: iso.missing ? null : ratio >= 2 && iso.best.p99 <= base.best.p99,
        detail: iso.missing
          ? MISSING
          : `${formatRatio(ratio)} (${bestOf(iso)} vs ${bestOf(base)} req/s; p99 ${formatMs(iso.best?.p99)} vs ${formatMs(base.best?.p99)})`,
      },
    ],
  };
}
