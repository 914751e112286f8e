// Instructions per warm `cached()` hit (reference mode) and per `await` of an async function
// returning `lru-cache.get` (the hit table's yardstick), counted by valgrind instead of timed:
// the count does not move with the load on a shared machine, so a change to the hit path shows
// even when it is smaller than the noise in time. Not part of `npm run bench` (it needs valgrind
// and takes about a minute per row); run after `npm run build`:
//
//   node bench/tools/hit-instructions.mjs            # both rows
//   node bench/tools/hit-instructions.mjs isocache   # one row
//
// Each row runs the same script twice under `valgrind --tool=cachegrind --cache-sim=no`, with
// `node --single-threaded` (the JIT then compiles on the main thread at the same points each
// run, so the count repeats within a few instructions): once with only the warm-up (10,000
// loads, 200,000 hits) and once with a further 1,000,000 hits; the difference over 1,000,000.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const KEYS = 10_000;
const EXTRA = 1_000_000;
const ROWS = ["isocache", "yardstick"];

if (process.argv[2] === "--run") {
  await run(process.argv[3], Number(process.argv[4]));
} else {
  const rows = process.argv.length > 2 ? process.argv.slice(2) : ROWS;
  for (const row of rows) {
    if (!ROWS.includes(row)) throw new Error(`unknown row ${row}: use ${ROWS.join(" or ")}`);
    const base = count(row, 0);
    const more = count(row, EXTRA);
    console.log(`${row}: ${Math.round((more - base) / EXTRA)} instructions per call`);
  }
}

/** Instructions valgrind counted for one run of this script with `extra` hits after the warm-up. */
function count(row, extra) {
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync(
    "valgrind",
    [
      "--tool=cachegrind",
      "--cache-sim=no",
      "--cachegrind-out-file=/dev/null",
      process.execPath,
      "--single-threaded",
      script,
      "--run",
      row,
      String(extra),
    ],
    { encoding: "utf8" },
  );
  if (result.error !== undefined)
    throw new Error(`valgrind did not start (${result.error.message}): apt-get install -y valgrind`);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(result.stderr);
  if (result.status !== 0 || refs === null)
    throw new Error(`valgrind run failed:\n${result.stderr.slice(-2000)}`);
  return Number(refs[1].replaceAll(",", ""));
}

/** The measured script: warm up, then `extra` more calls of the row's get-or-load. */
async function run(row, extra) {
  const { Cache } = await import("isocache");
  const { LRUCache } = await import("lru-cache");
  const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });
  const keys = Array.from({ length: KEYS }, (_, i) => `item:${(i * 7919) % KEYS}`);
  const cache = new Cache().setup("mem://?size=200000", { copy: false });
  const cachedFn = cache.cached({ ttl: "1h", key: "{0}" })(async function load(key) {
    return value(key);
  });
  const lru = new LRUCache({ max: 200_000 });
  for (const key of keys) lru.set(key, value(key));
  const read = row === "isocache" ? cachedFn : async (key) => lru.get(key);
  for (const key of keys) await cachedFn(key);
  let sink;
  for (let i = 0; i < 200_000; i++) sink = await read(keys[i % KEYS]);
  for (let i = 0; i < extra; i++) sink = await read(keys[i % KEYS]);
  if (sink === undefined) throw new Error("the last read missed");
}
