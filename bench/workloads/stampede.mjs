// Stampede: 1,000 concurrent calls on one cold key with a 50 ms loader, in one process; then
// 4 processes x 250 calls over one Redis, started together. Counts loader runs and checks that
// every caller got the loader's value.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isoMemory, isoRedis } from "../lib/isocache.mjs";
import { memoryPeers, redisPeers } from "../lib/peers.mjs";
import { formatMs, sameData } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const CALLS = 1_000;
const PROCESSES = 4;
const LOADER_MS = 50;
const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fires `calls` concurrent get-or-load calls for `key`; returns loader runs, wrong answers, wall ms. */
export async function storm(instance, key, calls) {
  let loads = 0;
  const loader = async (k) => {
    loads++;
    await sleep(LOADER_MS);
    return value(k);
  };
  const t0 = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: calls }, () => instance.getOrLoad(key, loader)),
  );
  const wall = performance.now() - t0;
  const wrong = results.filter((r) => r.status !== "fulfilled" || !sameData(r.value, value(key))).length;
  return { loads, wrong, wall };
}

export default async function run({ redisUrl }) {
  const inProcess = [];
  const seen = new Set();
  const peers = memoryPeers().filter((p) => !seen.has(p.name) && seen.add(p.name));
  const contenders = [{ name: "isocache", iso: true, make: () => isoMemory() }, ...peers];
  for (const c of contenders) {
    const instance = await c.make();
    const r = await storm(instance, "stampede:cold", CALLS);
    await instance.close();
    inProcess.push({ name: c.name, iso: c.iso, ...r });
  }
  const distributed = [];
  const redisContenders = [
    { name: "isocache", iso: true, lock: true },
    { name: "isocache", iso: true, lock: false },
    ...redisPeers().map((p) => ({ name: p.name })),
  ];
  for (const c of redisContenders) distributed.push(await acrossProcesses(c, redisUrl));

  const rows = inProcess.map((r) => [
    r.iso ? `**${r.name}**` : r.name,
    `${r.loads}`,
    r.wrong === 0 ? "all right" : `**${r.wrong} wrong**`,
    formatMs(r.wall),
  ]);
  const rowsR = distributed.map((r) =>
    r.missing
      ? [r.label, r.missing, "—", "—"]
      : [
          r.iso ? `**${r.label}**` : r.label,
          `${r.loads} (${r.perProcess.join(" + ")})`,
          r.wrong === 0 ? "all right" : `**${r.wrong} wrong**`,
          formatMs(r.wall),
        ],
  );
  const iso = inProcess.find((r) => r.iso);
  const isoLocked = distributed.find((r) => r.iso && r.lock);
  return {
    id: "stampede",
    title: "Stampede",
    description: `One cold key, a ${LOADER_MS} ms loader. In-process: ${CALLS} concurrent calls on one cache. Over Redis: ${PROCESSES} processes × ${CALLS / PROCESSES} concurrent calls, each process with its own client, released together on one signal; Redis alone (no memory tier), flushed before each library. "loader runs" counts executions of the loader across all processes; "answers" checks every caller got the loader's value.`,
    tables: [
      { title: "In one process", columns: ["library", "loader runs", "answers", "wall"], rows },
      {
        title: `${PROCESSES} processes over one Redis`,
        columns: ["library", "loader runs", "answers", "wall (slowest process)"],
        rows: rowsR,
      },
    ],
    charts: [
      {
        file: "stampede-redis.svg",
        svg: barChart({
          title: `Stampede over Redis: loader runs for ${CALLS} calls in ${PROCESSES} processes`,
          subtitle: "lower is better; 1 is the ideal",
          bars: distributed.map((r) => ({
            label: r.label,
            value: r.missing ? 0 : r.loads,
            text: r.missing ? "not available" : String(r.loads),
            highlight: r.iso,
            missing: Boolean(r.missing),
          })),
        }),
      },
    ],
    targets: [
      {
        text: "1 loader call in-process",
        met: iso.loads === 1 && iso.wrong === 0,
        detail: `${iso.loads} loader run(s), ${iso.wrong} wrong answers`,
      },
      {
        text: `1 loader call in total across ${PROCESSES} processes with lock: true`,
        met: isoLocked.missing ? null : isoLocked.loads === 1 && isoLocked.wrong === 0,
        detail: isoLocked.missing ?? `${isoLocked.loads} loader run(s) (${isoLocked.perProcess.join(" + ")})`,
      },
    ],
  };
}

async function acrossProcesses(contender, redisUrl) {
  const label = contender.iso ? `isocache${contender.lock ? ", lock: true" : ", no lock"}` : contender.name;
  if (contender.iso) {
    const probe = await isoRedis(redisUrl);
    if (probe.missing) return { label, iso: true, lock: contender.lock, missing: probe.missing };
    await probe.close();
  }
  const { Redis } = await import("ioredis");
  const admin = new Redis(redisUrl);
  await admin.flushall();
  admin.disconnect();
  const workers = Array.from({ length: PROCESSES }, () =>
    fork(fileURLToPath(new URL("./stampede-worker.mjs", import.meta.url)), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const ready = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once("message", resolve);
        w.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
      }),
  );
  for (const w of workers) w.send({ contender, redisUrl, calls: CALLS / PROCESSES });
  await Promise.all(ready);
  const done = workers.map((w) => new Promise((resolve) => w.once("message", resolve)));
  for (const w of workers) w.send({ go: true });
  const results = await Promise.all(done);
  await Promise.all(
    workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve() : w.once("exit", resolve)))),
  );
  return {
    label,
    iso: contender.iso,
    lock: contender.lock,
    loads: results.reduce((sum, r) => sum + r.loads, 0),
    perProcess: results.map((r) => r.loads),
    wrong: results.reduce((sum, r) => sum + r.wrong, 0),
    wall: Math.max(...results.map((r) => r.wall)),
  };
}
