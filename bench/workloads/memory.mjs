// Memory: heap per entry for 100k small entries, measured as the heap growth (after full GCs,
// run with --expose-gc) divided by the entry count; keys are made before the baseline, so only
// what each cache keeps counts. isocache is also measured after one read of every entry, since
// the memory backend then keeps the decoded value beside the stored text.
import { LRUCache } from "lru-cache";
import { isocache } from "../lib/isocache.mjs";
import { formatRatio, median, sameData } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const ENTRIES = 100_000;
const value = (i) => ({ id: i, name: `user ${i}`, tags: ["alpha", "beta", "gamma"] });

function heap() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** One fresh fill, in its own frame so nothing of it outlives the call. */
async function oneRound(keys, fill, afterFill) {
  const before = heap();
  const holder = await fill(keys);
  const set = (heap() - before) / ENTRIES;
  let read;
  if (afterFill) {
    await afterFill(holder, keys);
    read = (heap() - before) / ENTRIES;
  }
  globalThis.__benchKeep = holder; // used after the last measurement, so it is alive through it
  globalThis.__benchKeep = undefined;
  return { set, read };
}

async function perEntry(keys, fill, afterFill) {
  const rounds = [];
  for (let round = 0; round < 3; round++) rounds.push(await oneRound(keys, fill, afterFill));
  return {
    set: median(rounds.map((r) => r.set)),
    read: afterFill ? median(rounds.map((r) => r.read)) : undefined,
  };
}

export default async function run() {
  if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
  const { Cache } = await isocache();
  const keys = Array.from({ length: ENTRIES }, (_, i) => `user:${i}`);
  const check = (got, i) => {
    if (!sameData(got, value(i))) throw new Error(`wrong value for ${keys[i]}`);
  };
  const rows = [];
  const map = await perEntry(keys, async (ks) => {
    const m = new Map();
    for (let i = 0; i < ks.length; i++) m.set(ks[i], value(i));
    return m;
  });
  const lru = await perEntry(keys, async (ks) => {
    const l = new LRUCache({ max: ENTRIES });
    for (let i = 0; i < ks.length; i++) l.set(ks[i], value(i));
    check(l.get(ks[7]), 7);
    return l;
  });
  const iso = async (copy) =>
    perEntry(
      keys,
      async (ks) => {
        const c = new Cache().setup(`mem://?size=${ENTRIES}`, { copy });
        for (let i = 0; i < ks.length; i++) await c.set(ks[i], value(i));
        return c;
      },
      async (c, ks) => {
        for (let i = 0; i < ks.length; i++) {
          const got = await c.get(ks[i]);
          if (i % 997 === 0) check(got, i);
        }
      },
    );
  const isolated = await iso(true);
  const reference = await iso(false);
  const fmt = (b) => `${b.toFixed(0)} B`;
  rows.push(["Map (floor)", fmt(map.set), formatRatio(map.set / lru.set)]);
  rows.push(["lru-cache", fmt(lru.set), "1.00x"]);
  rows.push([
    "**isocache** memory backend, after set",
    fmt(isolated.set),
    formatRatio(isolated.set / lru.set),
  ]);
  rows.push([
    "**isocache**, after one read of each (isolated: keeps the decoded tree)",
    fmt(isolated.read),
    formatRatio(isolated.read / lru.set),
  ]);
  rows.push([
    "**isocache** copy: false, after one read of each",
    fmt(reference.read),
    formatRatio(reference.read / lru.set),
  ]);
  return {
    id: "memory",
    title: "Memory",
    description: `${ENTRIES.toLocaleString("en")} entries \`{id, name, tags: [3 strings]}\` under keys made before the baseline; heap growth after full GCs divided by the count, median of 3 fresh fills. isocache stores the serialized text in its LRU; after a hit it also keeps the decoded value on the entry (reference mode shares it, isolated mode copies from it), so its figure after reads is shown too.`,
    tables: [{ columns: ["cache", "heap per entry", "vs lru-cache"], rows }],
    charts: [
      {
        file: "memory.svg",
        svg: barChart({
          title: "Heap per entry, 100k small entries",
          subtitle: "lower is better",
          bars: [
            { label: "Map (floor)", value: map.set, text: fmt(map.set) },
            { label: "lru-cache", value: lru.set, text: fmt(lru.set) },
            { label: "isocache after set", value: isolated.set, text: fmt(isolated.set), highlight: true },
            {
              label: "isocache after reads",
              value: isolated.read,
              text: fmt(isolated.read),
              highlight: true,
            },
            {
              label: "isocache copy: false, after reads",
              value: reference.read,
              text: fmt(reference.read),
              highlight: true,
            },
          ],
        }),
      },
    ],
    targets: [
      {
        text: "within 1.5x of lru-cache",
        met: isolated.set <= 1.5 * lru.set,
        detail: `${formatRatio(isolated.set / lru.set)} after set; ${formatRatio(isolated.read / lru.set)} once every entry was read`,
      },
    ],
  };
}
