// Trace (the cacheme method): 20,000 zipf-distributed requests over 10,000 keys, a 20 ms loader,
// closed-loop at concurrency 100 and 1,000, over Redis alone and memory + Redis tiers. Redis
// commands are counted from MONITOR (and INFO commandstats after CONFIG RESETSTAT), lock commands apart.
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { isoRedis } from "../lib/isocache.mjs";
import { jsonChild } from "../lib/json-child.mjs";
import { redisPeers } from "../lib/peers.mjs";
import { formatMs, formatRatio, median, sameData, seededRandom } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const REQUESTS = 20_000;
const KEYS = 10_000;
const LOADER_MS = 20;
const READS = new Set([
  "get",
  "mget",
  "getex",
  "hget",
  "hmget",
  "hgetall",
  "exists",
  "pttl",
  "ttl",
  "strlen",
  "type",
]);
// Commands the bench or a client's handshake sends, not the workload.
const IGNORED = new Set([
  "monitor",
  "info",
  "config",
  "flushall",
  "flushdb",
  "client",
  "hello",
  "select",
  "ping",
  "auth",
  "command",
  "quit",
  "script",
  "function",
]);
// isocache's lock keys; no peer locks, so only isocache rows have lock commands.
const LOCK_KEY = "__isocache__:lock:";
const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Zipf(s = 1) samples over `n` ranks, seeded. */
function zipfTrace(n, count, seed = 11) {
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i] = 1 / (i + 1);
  const cumulative = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cumulative[i] = acc += weights[i] / total;
  const random = seededRandom(seed);
  const out = new Array(count);
  for (let j = 0; j < count; j++) {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[j] = `trace:${lo}`;
  }
  return out;
}

async function commandStats(admin) {
  const text = await admin.info("commandstats");
  const counts = {};
  for (const match of text.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) {
    const name = match[1].split("|")[0];
    if (!IGNORED.has(name)) counts[name] = (counts[name] ?? 0) + Number(match[2]);
  }
  return counts;
}

/**
 * Watches the commands clients send (MONITOR), because INFO commandstats also counts the
 * commands a Lua script runs inside one EVALSHA. A script call counts as a read when it runs
 * a GET-like command; a command or script call naming a lock key (isocache's
 * `__isocache__:lock:<key>`) is a lock command, counted apart from the reads.
 */
async function watch(redisUrl) {
  const { hostname, port } = new URL(redisUrl);
  const socket = net.connect({ host: hostname, port: Number(port) });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const events = [];
  let rest = "";
  // Lines look like: +1701.5 [0 127.0.0.1:5000] "get" "key"; scripts show as [0 lua].
  socket.on("data", (chunk) => {
    const lines = (rest + chunk.toString("utf8")).split("\r\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      const match = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (match) events.push([match[2].toLowerCase(), match[1] === "lua", line.includes(LOCK_KEY)]);
    }
  });
  socket.write("MONITOR\r\n");
  await sleep(20);
  return {
    async stop() {
      await sleep(100);
      socket.destroy();
      return classify(events);
    },
  };
}

function classify(events) {
  let reads = 0;
  let locks = 0;
  let total = 0;
  const byCommand = {};
  let script;
  for (const [name, lua, lock] of events) {
    if (lua) {
      if (script !== undefined && !script.read && !script.lock && READS.has(name)) {
        script.read = true;
        reads++;
      }
      continue;
    }
    script = undefined;
    if (IGNORED.has(name) || name === "monitor") continue;
    total++;
    byCommand[name] = (byCommand[name] ?? 0) + 1;
    if (lock) locks++;
    else if (READS.has(name)) reads++;
    if (name === "eval" || name === "evalsha") script = { read: false, lock };
  }
  return { reads, locks, total, byCommand };
}

async function replay(instance, trace, concurrency) {
  let loads = 0;
  let wrong = 0;
  const loader = async (key) => {
    loads++;
    await sleep(LOADER_MS);
    return value(key);
  };
  let next = 0;
  const worker = async () => {
    while (next < trace.length) {
      const key = trace[next++];
      try {
        if (!sameData(await instance.getOrLoad(key, loader), value(key))) wrong++;
      } catch {
        wrong++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { loads, wrong, wall: performance.now() - t0 };
}

function contenders(redisUrl) {
  return [
    { name: "isocache", iso: true, make: (tiered) => isoRedis(redisUrl, { tiered }) },
    {
      name: "isocache, lock: true",
      iso: true,
      lock: true,
      make: (tiered) => isoRedis(redisUrl, { tiered, lock: true }),
    },
    ...redisPeers().map((p) => ({ name: p.name, make: (tiered) => p.make(redisUrl, tiered) })),
    // Not cache libraries: what the closed loop itself allows on this machine (timers, workers),
    // and the least a cache over Redis can do here with the client isocache uses.
    {
      name: "Map + node-redis GET/SET (reference)",
      reference: "redis",
      make: (tiered) => redisReference(redisUrl, tiered),
    },
    {
      name: "Map + single-flight (reference, no Redis)",
      reference: "map",
      make: () => mapReference(),
    },
  ];
}

/**
 * The least a get-or-load over Redis can do with node-redis (the client isocache's redis://
 * backend uses, configured the same way: RESP3, no per-command timeout): one shared promise per
 * loading key, a GET, and on a miss the load and a SET with PX, values as JSON; with tiers a Map
 * of the decoded values in front (served as they are, no copy, no TTL check, no eviction). No
 * backend interface, no envelope, no stats, no error handling: its wall is what Redis round trips
 * through this client cost on this machine, the gap between it and the Map row.
 */
async function redisReference(redisUrl, tiered) {
  const client = createClient({
    url: redisUrl,
    RESP: 3,
    commandOptions: { timeout: 0 },
    maintNotifications: "disabled",
  });
  client.on("error", () => undefined);
  await client.connect();
  const values = new Map();
  const loading = new Map();
  const fill = async (key, loader) => {
    const text = await client.sendCommand(["GET", key]);
    if (text !== null) {
      const found = JSON.parse(String(text));
      if (tiered) values.set(key, found);
      return found;
    }
    const loaded = await loader(key);
    if (tiered) values.set(key, loaded);
    await client.sendCommand(["SET", key, JSON.stringify(loaded), "PX", "3600000"]);
    return loaded;
  };
  return {
    getOrLoad(key, loader) {
      if (tiered) {
        const known = values.get(key);
        if (known !== undefined) return Promise.resolve(known);
      }
      let pending = loading.get(key);
      if (pending === undefined) {
        pending = fill(key, loader).finally(() => loading.delete(key));
        loading.set(key, pending);
      }
      return pending;
    },
    async close() {
      await client.close();
    },
  };
}

/**
 * The least a get-or-load can do: a Map and one shared promise per loading key, no Redis, no
 * serialization, no copies. Its wall is the floor plus what the loop and the 20 ms timers cost
 * here, and what workers lose waiting on a key another worker is loading.
 */
function mapReference() {
  const values = new Map();
  const loading = new Map();
  return {
    async getOrLoad(key, loader) {
      if (values.has(key)) return values.get(key);
      let pending = loading.get(key);
      if (pending === undefined) {
        pending = loader(key).then((loaded) => {
          values.set(key, loaded);
          loading.delete(key);
          return loaded;
        });
        loading.set(key, pending);
      }
      return pending;
    },
    async close() {},
  };
}

const traceOf = (quick) => zipfTrace(KEYS, quick ? REQUESTS / 2 : REQUESTS);

/** In a fresh process (trace-child.mjs): one library, one configuration, one replay. */
export async function runOne(index, tiered, concurrency, monitor, { redisUrl, quick }) {
  const c = contenders(redisUrl)[index];
  const instance = await c.make(tiered);
  if (instance === undefined) return { na: "no memory + Redis mode" };
  if (instance.missing) return { missing: instance.missing };
  const admin = new Redis(redisUrl);
  await admin.flushall();
  await admin.config("RESETSTAT");
  // MONITOR costs the server and this process a line per command, and more for a client whose
  // scripts run commands inside them, so only the counting run has it on.
  const watcher = monitor ? await watch(redisUrl) : undefined;
  const r = await replay(instance, traceOf(quick), concurrency);
  await sleep(50); // let fire-and-forget writes land before counting
  const stats = await commandStats(admin);
  const sent = watcher === undefined ? {} : await watcher.stop();
  await instance.close();
  admin.disconnect();
  return { ...r, ...sent, stats };
}

function runInChild(args, context) {
  return jsonChild(
    fileURLToPath(new URL("./trace-child.mjs", import.meta.url)),
    [JSON.stringify({ args, context })],
    (out) => ({ missing: `the replay process failed (${out.slice(0, 100)})` }),
  );
}

export default async function run({ redisUrl, quick }) {
  const trace = traceOf(quick);
  const distinct = new Set(trace).size;
  const list = contenders(redisUrl);
  const runs = [];
  // Every replay runs in a fresh process (no library inherits another's heap or a warm JIT), and
  // repetitions interleave the libraries, so a burst of load on this shared machine does not
  // land on one library only. The first run counts commands (through MONITOR); the wall is the
  // median of the runs after it, which nothing watches (with --quick, the one run does both).
  const repetitions = quick ? 1 : 4;
  const byKey = new Map();
  for (let rep = 0; rep < repetitions; rep++) {
    for (const tiered of [false, true]) {
      for (const concurrency of [100, 1000]) {
        for (let index = 0; index < list.length; index++) {
          const c = list[index];
          const id = `${c.name}|${tiered}|${concurrency}`;
          const known = byKey.get(id);
          if (known?.missing || known?.na) continue;
          const counting = rep === 0;
          const r = await runInChild([index, tiered, concurrency, counting], { redisUrl, quick });
          const walls = counting && repetitions > 1 ? [] : [r.wall];
          const base = {
            label: c.name,
            iso: c.iso,
            lock: c.lock,
            reference: c.reference,
            tiered,
            concurrency,
          };
          if (r.missing || r.na) {
            const entry = { ...base, ...r };
            byKey.set(id, entry);
            runs.push(entry);
          } else if (known === undefined) {
            const entry = { ...base, ...r, walls };
            byKey.set(id, entry);
            runs.push(entry);
          } else {
            known.walls.push(...walls);
            known.wrong += r.wrong;
            known.loadsSeen = [...(known.loadsSeen ?? [known.loads]), r.loads];
          }
        }
      }
    }
  }
  for (const entry of runs)
    if (entry.walls) {
      entry.wall = median(entry.walls);
      entry.spread = [Math.min(...entry.walls), Math.max(...entry.walls)];
    }
  return report(runs, distinct, trace.length, idealWall(trace, 100));
}

/**
 * The wall of an ideal cache on this trace, simulated: hits cost nothing, a key's first request
 * loads it in exactly LOADER_MS, later requests for it wait for that load, and each of the
 * workers takes the next request as soon as its last one is answered. What it loses over the
 * floor is only the waiting on keys another worker is loading.
 */
function idealWall(trace, concurrency) {
  const loadedAt = new Map();
  const free = new Array(concurrency).fill(0); // when each worker is next free
  let wall = 0;
  for (const key of trace) {
    let worker = 0;
    for (let w = 1; w < concurrency; w++) if (free[w] < free[worker]) worker = w;
    const now = free[worker];
    const loaded = loadedAt.get(key);
    const done = loaded === undefined ? now + LOADER_MS : Math.max(now, loaded);
    if (loaded === undefined) loadedAt.set(key, done);
    free[worker] = done;
    wall = Math.max(wall, done);
  }
  return wall;
}

/** What the references and the simulated ideal reach at concurrency 100, for the floor target's detail. */
function referenceDetail(runs, floor100, ideal100) {
  const at100 = (kind, tiered) =>
    runs.find(
      (r) =>
        r.reference === kind &&
        r.concurrency === 100 &&
        (tiered === undefined || r.tiered === tiered) &&
        !r.missing &&
        r.walls?.length > 0,
    );
  const parts = [];
  const alone = at100("redis", false);
  const tiers = at100("redis", true);
  if (alone !== undefined && tiers !== undefined)
    parts.push(
      `the least a cache does over node-redis (Map + GET/SET reference) ${formatRatio(alone.wall / floor100)} on Redis alone and ${formatRatio(tiers.wall / floor100)} with tiers`,
    );
  const map = at100("map");
  if (map !== undefined)
    parts.push(`the Map + single-flight reference (no Redis) ${formatRatio(map.wall / floor100)}`);
  parts.push(
    `an ideal cache simulated on this trace (free hits, one ${LOADER_MS} ms load per key) ${formatRatio(ideal100 / floor100)}`,
  );
  return `; ${parts.join("; ")}`;
}

function report(runs, distinct, requests, ideal100) {
  const floor = (c) => (distinct * LOADER_MS) / c;
  const tables = [];
  for (const tiered of [false, true]) {
    for (const concurrency of [100, 1000]) {
      const group = runs.filter((r) => r.tiered === tiered && r.concurrency === concurrency);
      const iso = group.find((r) => r.iso && !r.lock);
      const rows = group.map((r) => {
        if (r.missing || r.na) return [r.label, r.missing ?? r.na, "—", "—", "—", "—", "—", "—"];
        const list = (counts) =>
          Object.entries(counts)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join(", ");
        const detail = `${list(r.byCommand)}; commandstats: ${list(r.stats)}`;
        const wall =
          r.walls.length > 1
            ? `${formatMs(r.wall)} (${formatMs(r.spread[0])}–${formatMs(r.spread[1])})`
            : formatMs(r.wall);
        const vsIso = iso && !iso.missing ? formatRatio(r.wall / iso.wall) : "—";
        if (r.reference === "map") {
          const loads = [...new Set(r.loadsSeen ?? [r.loads])].join(" / ");
          return [
            `_${r.label}_`,
            loads,
            "—",
            "—",
            "—",
            wall,
            formatRatio(r.wall / floor(concurrency)),
            vsIso,
          ];
        }
        return [
          r.iso ? `**${r.label}**` : r.reference ? `_${r.label}_` : r.label,
          `${[...new Set(r.loadsSeen ?? [r.loads])].join(" / ")}${r.wrong ? ` (**${r.wrong} wrong answers**)` : ""}`,
          String(r.reads),
          String(r.locks ?? 0),
          `${r.total} (${detail})`,
          wall,
          formatRatio(r.wall / floor(concurrency)),
          vsIso,
        ];
      });
      tables.push({
        title: `${tiered ? "memory + Redis tiers" : "Redis alone"}, concurrency ${concurrency} (floor ${formatMs(floor(concurrency))})`,
        columns: [
          "library",
          "loader calls",
          "Redis reads",
          "lock commands",
          "Redis commands",
          "wall",
          "vs floor",
          "vs isocache",
        ],
        rows,
      });
    }
  }
  const isoRuns = runs.filter((r) => r.iso && !r.lock);
  const available = isoRuns.every((r) => !r.missing);
  const isoTiered = runs.filter((r) => r.iso && r.tiered);
  const peersFaster = runs
    .filter((r) => !r.iso && !r.reference && !r.missing && !r.na && r.wrong === 0)
    .filter((p) => {
      const iso = isoRuns.find((r) => r.tiered === p.tiered && r.concurrency === p.concurrency);
      return iso !== undefined && !iso.missing && p.wall < iso.wall;
    });
  const c100 = isoRuns.filter((r) => r.concurrency === 100 && !r.missing);
  const worstFloor = Math.max(...c100.map((r) => r.wall / floor(100)));
  const targets = [
    {
      text: "loader calls = distinct keys",
      met: available
        ? runs
            .filter((r) => r.iso && !r.missing)
            .every((r) => (r.loadsSeen ?? [r.loads]).every((n) => n === distinct) && r.wrong === 0)
        : null,
      detail: available
        ? `${distinct} distinct; isocache ${[...new Set(runs.filter((r) => r.iso).map((r) => r.loads))].join(", ")}`
        : "isocache: backend not available in this build",
    },
    {
      text: "with a memory tier, Redis reads = distinct keys, all Redis commands at most 2 per distinct key (+ lock commands with lock: true)",
      met: available
        ? isoTiered.every((r) => r.reads === distinct && r.total - (r.locks ?? 0) <= 2 * distinct)
        : null,
      detail: available
        ? isoTiered
            .map(
              (r) =>
                `${r.label} c=${r.concurrency}: ${r.reads} reads, ${r.total} commands${r.locks ? ` (${r.locks} of them lock commands)` : ""}`,
            )
            .join("; ")
        : "isocache: backend not available in this build",
    },
    {
      text: "wall time within 1.2x of the floor at concurrency 100",
      met: available ? worstFloor <= 1.2 : null,
      detail: available
        ? `worst ${formatRatio(worstFloor)} of ${formatMs(floor(100))}${referenceDetail(runs, floor(100), ideal100)}`
        : "isocache: backend not available in this build",
    },
    {
      text: "ahead of every peer at both concurrencies",
      met: available ? peersFaster.length === 0 : null,
      detail: available
        ? peersFaster.length === 0
          ? "no peer faster"
          : peersFaster
              .map((p) => `${p.label} (${p.tiered ? "tiers" : "Redis"}, c=${p.concurrency})`)
              .join(", ")
        : "isocache: backend not available in this build",
    },
  ];
  const bars = runs
    .filter((r) => r.concurrency === 100 && !(r.reference === "map" && r.tiered))
    .map((r) => ({
      label: r.reference === "map" ? r.label : `${r.label} — ${r.tiered ? "tiers" : "Redis"}`,
      value: r.missing || r.na ? 0 : r.wall,
      text: r.missing ? "not available" : r.na ? "n/a" : formatMs(r.wall),
      highlight: r.iso,
      missing: Boolean(r.missing || r.na),
    }));
  return {
    id: "trace",
    title: "Trace (cacheme method)",
    description: `${requests} requests drawn from a seeded zipf (s = 1) over ${KEYS} keys (${distinct} distinct), a ${LOADER_MS} ms loader, closed loop: each of C workers sends the next request when its last one returns. Each replay runs in a fresh Node process; each configuration runs 4 times (once with --quick), the libraries interleaved: the first run counts, the three after it time (wall is their median, with the spread in brackets), so the MONITOR that counts, which costs a line per command and more for clients whose scripts run commands inside them, is never on while the wall is timed. Redis is flushed and its command counters reset before each run; "Redis commands" are the commands clients sent (seen through MONITOR in the counting run), leaving out the bench's own and the clients' handshakes; INFO commandstats (reset before each run) is given beside them and differs where a client runs Lua scripts, since it also counts the commands a script runs inside one EVALSHA. "Redis reads" counts the GET-like commands sent (${[...READS].join(", ")}), plus each script call that ran one, leaving out lock commands: "lock commands" counts the commands and script calls naming a lock key (isocache's \`lock: true\` takes the lock with one script that also checks the key is still unfilled, so it runs a GET of the key, and releases it with a compare-and-delete script that runs a GET of the lock); they are part of "Redis commands". The floor is distinct keys × ${LOADER_MS} ms / C. The last two rows of each table are not libraries: the least a get-or-load over Redis does with node-redis (the client isocache's redis:// backend uses, set up the same way), a GET and on a miss the load and a SET, JSON values, one shared promise per loading key, with tiers a Map of decoded values in front, no copies, no TTL checks, no error handling, so what the Redis round trips through this client cost here can be read off; and a Map with one shared promise per loading key, no Redis, no serialization (run again for each table), so the gap from the floor that the closed loop itself leaves on this machine (late timers, workers waiting on a key another worker is loading) can be read off; the floor target also names the wall of an ideal cache simulated on the same trace and loop (hits free, one ${LOADER_MS} ms load per key, later requests for a loading key wait for it), which counts that waiting and nothing else. async-cache-dedupe has no memory tier in front of Redis.`,
    tables,
    charts: [
      {
        file: "trace-c100.svg",
        svg: barChart({
          title: "Trace at concurrency 100: wall time",
          subtitle: `floor ${formatMs(floor(100))}; lower is better`,
          bars,
        }),
      },
    ],
    targets,
  };
}
