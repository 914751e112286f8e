// Hit path, memory: 10k warm keys read in a shuffled, pre-generated order; each library's
// get-or-load hit, timed with mitata in interleaved rounds. Reference mode and copying mode are
// compared like for like; the mode is checked (a mutation probe), not taken on trust.
import { fileURLToPath } from "node:url";
import { LRUCache } from "lru-cache";
import { do_not_optimize, measure } from "mitata";
import { isoMemory } from "../lib/isocache.mjs";
import { jsonChild } from "../lib/json-child.mjs";
import { memoryPeers } from "../lib/peers.mjs";
import { formatNs, formatRatio, formatSpread, median, sameData, shuffle, summarize } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const KEYS = 10_000;
/** Awaited calls per timed iteration of an async row. */
const BATCH = 64;
const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });

/** Every timed row: floors first, then isocache and the peers in both modes. */
function contenders() {
  return [
    { name: "Map.get (floor)", floor: true, sync: true, make: floorOf("map") },
    { name: "lru-cache.get", floor: true, sync: true, make: floorOf("lru") },
    { name: "await lru-cache.get", floor: true, make: floorOf("lru-async") },
    // Not a cache: the clock read every isocache hit makes to check expiry (lru-cache.get without
    // a TTL makes none), timed so the gap to lru-cache.get can be read off.
    {
      name: "Date.now() (clock read)",
      floor: true,
      clock: true,
      sync: true,
      make: () => ({ read: () => Date.now() }),
    },
    { name: "isocache", mode: "reference", iso: true, make: () => isoMemory({ copy: false }) },
    { name: "isocache", mode: "copying", iso: true, make: () => isoMemory({ copy: true }) },
    ...memoryPeers(),
  ];
}

const KEY_ORDER = () => shuffle(Array.from({ length: KEYS }, (_, i) => `item:${i}`));

export default async function run({ quick }) {
  const rounds = quick ? 2 : 5;
  const list = contenders();
  const results = list.map((c) => ({ ...c, samples: [], means: [], norms: [] }));
  // Each measurement runs in a fresh process: a clean heap and type feedback, so no library pays
  // for another's garbage or makes the shared benchmark loop megamorphic. Rounds interleave.
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < list.length; index++) {
      const r = results[index];
      if (r.error !== undefined) continue;
      const one = await measureInChild(index, quick);
      if (one.error !== undefined) r.error = one.error;
      else {
        r.samples.push(one.p50);
        r.means.push(one.avg);
        r.norms.push(one.norm);
        r.observed = one.observed;
      }
    }
  }
  return report(results);
}

function measureInChild(index, quick) {
  return jsonChild(
    fileURLToPath(new URL("./hit-child.mjs", import.meta.url)),
    [String(index), quick ? "quick" : "full"],
    (out) => ({ error: `measurement process failed (${out.slice(0, 120)})` }),
  );
}

/** In the child: build, warm, check and time one contender. */
export async function measureOne(index, quick) {
  const c = contenders()[index];
  const keys = KEY_ORDER();
  const prepared = c.floor ? { read: (await c.make(keys)).read } : await prepare(c, keys);
  if (prepared.error !== undefined) return { error: prepared.error };
  const read = prepared.read;
  const budget = quick ? 150e6 : 300e6; // mitata min CPU time per row, ns
  const slices = quick ? 6 : 12;
  let i = 0;
  // An async row awaits BATCH calls in a row per timed iteration, so what is timed is the call
  // and its `await`, not mitata's own per-iteration promise handling (about 250 ns here, more
  // than a whole hit); a sync row is one call per iteration, which mitata batches itself.
  const perCall = async (stats) => {
    const s = await stats;
    return { avg: s.avg / BATCH, p50: s.p50 / BATCH };
  };
  const timeIt = (fn, sync, cpuTime) =>
    sync
      ? measure(() => do_not_optimize(fn(keys[i++ % KEYS])), { min_cpu_time: cpuTime })
      : perCall(
          measure(
            async () => {
              for (let n = 0; n < BATCH; n++) do_not_optimize(await fn(keys[i++ % KEYS]));
            },
            // 64 iterations per sample (mitata's default of 4096 makes one sample longer than a slice)
            { min_cpu_time: cpuTime, batch_samples: 64, min_samples: 8 },
          ),
        );
  // A yardstick timed in the same process, in short slices alternating with the row's, so load
  // that comes and goes on this shared machine (it moves the yardstick by 2x within seconds)
  // lands on both sides of each pair and cancels out of their ratio.
  const yardstick = floorOf("lru-async")(keys).read;
  const sliceTime = budget / slices;
  await timeIt(yardstick, false, sliceTime); // warm-up, not kept
  await timeIt(read, c.sync, sliceTime);
  const p50s = [];
  const avgs = [];
  const yards = [];
  const norms = [];
  for (let n = 0; n < slices; n++) {
    const y = await timeIt(yardstick, false, sliceTime);
    const row = await timeIt(read, c.sync, sliceTime);
    p50s.push(row.p50);
    avgs.push(row.avg);
    yards.push(y.p50);
    norms.push(row.p50 / y.p50);
  }
  await prepared.instance?.close?.();
  return {
    avg: median(avgs),
    p50: median(p50s),
    yardstick: median(yards),
    norm: median(norms),
    observed: prepared.observed,
  };
}

/** The floors: the stored object straight from a Map or lru-cache, no get-or-load around it. */
function floorOf(kind) {
  return (keys) => {
    if (kind === "map") {
      const map = new Map(keys.map((key) => [key, value(key)]));
      return { read: (key) => map.get(key) };
    }
    const lru = new LRUCache({ max: 200_000 });
    for (const key of keys) lru.set(key, value(key));
    return kind === "lru" ? { read: (key) => lru.get(key) } : { read: async (key) => lru.get(key) };
  };
}

/** Builds, warms and checks one library: right values, no loader call on a hit, observed mode. */
async function prepare(contender, keys) {
  const out = { ...contender };
  try {
    const instance = await contender.make();
    out.instance = instance;
    let loads = 0;
    const loader = async (key) => {
      loads++;
      return value(key);
    };
    for (const key of keys) await instance.getOrLoad(key, loader);
    if (loads !== keys.length)
      throw new Error(`warm-up ran the loader ${loads} times for ${keys.length} keys`);
    for (const key of keys.slice(0, 200)) {
      const got = await instance.getOrLoad(key, loader);
      if (!sameData(got, value(key))) throw new Error(`wrong value for ${key}: ${JSON.stringify(got)}`);
    }
    if (loads !== keys.length) throw new Error(`a hit ran the loader (${loads - keys.length} extra calls)`);
    const probeKey = keys[1];
    const first = await instance.getOrLoad(probeKey, loader);
    first.name = "mutated by the caller";
    const second = await instance.getOrLoad(probeKey, loader);
    out.observed = second.name === "mutated by the caller" ? "reference" : "copying";
    second.name = value(probeKey).name; // undo, for reference mode
    if (out.observed !== contender.mode)
      throw new Error(`configured as ${contender.mode} but behaves as ${out.observed}`);
    out.read = (key) => instance.getOrLoad(key, loader);
  } catch (error) {
    out.error = error instanceof Error ? error.message : String(error);
  }
  return out;
}

function report(results) {
  const s = (c) => summarize(c.samples);
  const floors = results.filter((c) => c.floor);
  const ready = results.filter((c) => !c.floor);
  const iso = (mode) => ready.find((c) => c.iso && c.mode === mode);
  const isoRef = iso("reference");
  const isoCopy = iso("copying");
  const med = (c) => (c && c.error === undefined && c.samples.length > 0 ? s(c).median : Number.NaN);
  // Ratios and targets use each row's time over the same-process yardstick (await lru-cache.get).
  const nm = (c) => (c && c.error === undefined && c.norms.length > 0 ? median(c.norms) : Number.NaN);
  const rows = [];
  const mean = (c) => formatNs(median(c.means));
  for (const c of floors)
    rows.push([
      c.name,
      c.clock ? "not a cache" : "floor",
      formatSpread(s(c), formatNs),
      mean(c),
      nm(c).toFixed(2),
      formatRatio(nm(isoRef) / nm(c)),
      "",
    ]);
  for (const mode of ["reference", "copying"]) {
    for (const c of ready.filter((x) => x.mode === mode)) {
      const base = mode === "reference" ? isoRef : isoCopy;
      if (c.error !== undefined) {
        rows.push([c.name, mode, `wrong answer, not timed: ${c.error}`, "—", "—", "—", ""]);
        continue;
      }
      rows.push([
        c.iso ? `**${c.name}**` : c.name,
        mode,
        formatSpread(s(c), formatNs),
        mean(c),
        nm(c).toFixed(2),
        formatRatio(nm(c) / nm(base)),
        c.observed,
      ]);
    }
  }
  const lru = floors[1];
  const awaitFloor = floors[2];
  const clockRead = floors[3];
  const peersOf = (mode) => ready.filter((c) => !c.iso && c.mode === mode && c.error === undefined);
  const fastestPeer = peersOf("reference").sort((a, b) => nm(a) - nm(b))[0];
  const fastestRef = nm(fastestPeer);
  const slowestCopyFactor = Math.min(...peersOf("copying").map((c) => nm(c) / nm(isoCopy)));
  const vsLru = nm(isoRef) / nm(lru);
  const targets = [
    {
      text: "reference mode within 6x of lru-cache.get",
      met: vsLru <= 6,
      detail: `${formatRatio(vsLru)} of lru-cache.get (${formatNs(med(isoRef))} vs ${formatNs(med(lru))}); of that, an \`await\` of lru-cache.get alone is ${formatRatio(nm(awaitFloor) / nm(lru))} and the expiry check's Date.now() ${formatRatio(nm(clockRead) / nm(lru))}`,
    },
    {
      text: "reference mode at least 3x faster than the fastest peer",
      met: fastestRef / nm(isoRef) >= 3,
      detail: `${formatRatio(fastestRef / nm(isoRef))} faster than the fastest reference-mode peer (${fastestPeer?.name}, ${formatNs(med(fastestPeer))} vs ${formatNs(med(isoRef))})`,
    },
    {
      text: "isolated mode at least 5x faster than every peer's copying mode",
      met: slowestCopyFactor >= 5,
      detail: `${formatRatio(slowestCopyFactor)} faster than the fastest copying peer (isocache ${formatNs(med(isoCopy))})`,
    },
  ];
  const bars = results
    .filter((c) => c.error === undefined)
    .map((c) => ({
      label: c.floor ? c.name : `${c.name} (${c.mode})`,
      value: med(c),
      text: formatNs(med(c)),
      highlight: c.iso,
    }))
    .sort((a, b) => a.value - b.value);
  return {
    id: "hit",
    title: "Hit path, memory",
    description:
      "10,000 warm keys, read in a shuffled pre-generated order; value `{id, name, tags: [3 strings]}`. Each row is one library's get-or-load call on a hit (isocache: a `cached()` function), timed by mitata's `measure` (an async row awaits 64 calls in a row per timed iteration, divided back to one call, so mitata's own per-iteration promise handling is not timed), each measurement in a fresh Node process (clean heap and JIT feedback), rounds interleaved across libraries; the main cell is the median over rounds of mitata's per-call median (p50), with the spread over rounds (min–max) in brackets — the median resists the preemption a shared machine causes; the mean over the same samples (which also carries GC pauses) is beside it. Every process also times a yardstick (`await` of an async function returning `lru-cache.get`) in short slices alternating with the row's; \"× yardstick\" is the median over those pairs of the row's per-call median over the yardstick's, median over rounds, and the ratio column and the targets divide those, so load that slows a whole process cancels out. The mode column is what a mutation probe observed: `reference` returns the stored object, `copying` a fresh copy. The ratio is the row's time over isocache's in the same mode (floors: isocache reference over the floor).",
    tables: [
      {
        columns: ["library", "mode", "median time per hit", "mean", "× yardstick", "ratio", "observed"],
        rows,
      },
    ],
    charts: [
      {
        file: "hit-path.svg",
        svg: barChart({
          title: "Hit path, memory: time per get-or-load hit",
          subtitle: "median over rounds, lower is better",
          bars,
          log: true,
        }),
      },
    ],
    targets,
    figures: { isoRef: nm(isoRef), isoCopy: nm(isoCopy), lru: nm(lru), fastestRef },
  };
}
