// Hit path, memory: 10k warm keys read in a shuffled, pre-generated order; each library's
// get-or-load hit, timed with mitata in interleaved rounds. Reference mode and copying mode are
// compared like for like; the mode is checked (a mutation probe), not taken on trust.
import { LRUCache } from "lru-cache";
import { do_not_optimize, measure } from "mitata";
import { isoMemory } from "../lib/isocache.mjs";
import { memoryPeers } from "../lib/peers.mjs";
import { formatNs, formatRatio, formatSpread, sameData, shuffle, summarize } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const KEYS = 10_000;
const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });

export default async function run({ quick }) {
  const rounds = quick ? 2 : 5;
  const budget = quick ? 150e6 : 300e6; // mitata min CPU time per measurement, ns
  const keys = shuffle(Array.from({ length: KEYS }, (_, i) => `item:${i}`));
  const contenders = [
    { name: "isocache", mode: "reference", iso: true, make: () => isoMemory({ copy: false }) },
    { name: "isocache", mode: "copying", iso: true, make: () => isoMemory({ copy: true }) },
    ...memoryPeers(),
  ];
  const floors = makeFloors(keys);
  const ready = [];
  for (const contender of contenders) ready.push(await prepare(contender, keys));

  const timed = [...floors, ...ready.filter((c) => c.error === undefined)];
  const samples = new Map(timed.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no library always runs first (or right after a GC-heavy one).
    const order = timed.map((_, i) => timed[(i + round) % timed.length]);
    for (const c of order) {
      let i = 0;
      const stats = c.sync
        ? await measure(() => do_not_optimize(c.read(keys[i++ % KEYS])), { min_cpu_time: budget })
        : await measure(async () => do_not_optimize(await c.read(keys[i++ % KEYS])), {
            min_cpu_time: budget,
          });
      samples.get(c).push(stats.avg);
    }
  }
  for (const c of ready) await c.instance?.close?.();
  return report(floors, ready, samples);
}

function makeFloors(keys) {
  const map = new Map();
  const lru = new LRUCache({ max: 200_000 });
  for (const key of keys) {
    map.set(key, value(key));
    lru.set(key, value(key));
  }
  return [
    { name: "Map.get (floor)", floor: true, sync: true, read: (key) => map.get(key) },
    { name: "lru-cache.get", floor: true, sync: true, read: (key) => lru.get(key) },
    { name: "await lru-cache.get", floor: true, read: async (key) => lru.get(key) },
  ];
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
    if (loads !== keys.length) throw new Error(`warm-up ran the loader ${loads} times for ${keys.length} keys`);
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

function report(floors, ready, samples) {
  const s = (c) => summarize(samples.get(c));
  const iso = (mode) => ready.find((c) => c.iso && c.mode === mode);
  const isoRef = iso("reference");
  const isoCopy = iso("copying");
  const med = (c) => (c && c.error === undefined ? s(c).median : Number.NaN);
  const rows = [];
  for (const c of floors) rows.push([c.name, "floor", formatSpread(s(c), formatNs), formatRatio(med(isoRef) / s(c).median), ""]);
  for (const mode of ["reference", "copying"]) {
    for (const c of ready.filter((x) => x.mode === mode)) {
      const base = mode === "reference" ? isoRef : isoCopy;
      if (c.error !== undefined) {
        rows.push([c.name, mode, `wrong answer, not timed: ${c.error}`, "—", ""]);
        continue;
      }
      rows.push([c.iso ? `**${c.name}**` : c.name, mode, formatSpread(s(c), formatNs), formatRatio(s(c).median / med(base)), c.observed]);
    }
  }
  const lru = floors[1];
  const peersOf = (mode) => ready.filter((c) => !c.iso && c.mode === mode && c.error === undefined);
  const fastestRef = Math.min(...peersOf("reference").map(med));
  const slowestCopyFactor = Math.min(...peersOf("copying").map((c) => med(c) / med(isoCopy)));
  const vsLru = med(isoRef) / s(lru).median;
  const targets = [
    { text: "reference mode within 6x of lru-cache.get", met: vsLru <= 6, detail: `${formatRatio(vsLru)} of lru-cache.get` },
    {
      text: "reference mode at least 3x faster than the fastest peer",
      met: fastestRef / med(isoRef) >= 3,
      detail: `${formatRatio(fastestRef / med(isoRef))} faster than the fastest reference-mode peer (${formatNs(fastestRef)})`,
    },
    {
      text: "isolated mode at least 5x faster than every peer's copying mode",
      met: slowestCopyFactor >= 5,
      detail: `${formatRatio(slowestCopyFactor)} faster than the fastest copying peer`,
    },
  ];
  const bars = [...floors, ...ready]
    .filter((c) => c.error === undefined)
    .map((c) => ({
      label: c.floor ? c.name : `${c.name} (${c.mode})`,
      value: s(c).median,
      text: formatNs(s(c).median),
      highlight: c.iso,
    }))
    .sort((a, b) => a.value - b.value);
  return {
    id: "hit",
    title: "Hit path, memory",
    description:
      "10,000 warm keys, read in a shuffled pre-generated order; value `{id, name, tags: [3 strings]}`. Each row is one library's get-or-load call on a hit (isocache: a `cached()` function), timed by mitata's `measure` (mean time per call) in interleaved rounds; the cell is the median over rounds with the spread (min–max) in brackets. The mode column is what a mutation probe observed: `reference` returns the stored object, `copying` a fresh copy. The ratio is the row's time over isocache's in the same mode (floors: isocache reference over the floor).",
    tables: [{ columns: ["library", "mode", "time per hit", "ratio", "observed"], rows }],
    charts: [
      {
        file: "hit-path.svg",
        svg: barChart({ title: "Hit path, memory: time per get-or-load hit", subtitle: "median over rounds, lower is better", bars, log: true }),
      },
    ],
    targets,
    figures: { isoRef: med(isoRef), isoCopy: med(isoCopy), lru: s(lru).median, fastestRef },
  };
}
