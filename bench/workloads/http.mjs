// HTTP Redis economy: HTTP requests that reach the project's Upstash-compatible gateway
// (test/support/upstash-gateway.ts, which counts them) for the same work list done by each
// library: a hit, a storing miss, a tagged set, a tag invalidation, then ten tagged sets and the
// invalidation of their tag. Each step runs alone after the counters are reset and is checked
// afterwards with uncounted reads; a wrong answer is reported and left out of the totals.

import { isoUpstash, MISSING } from "../lib/isocache.mjs";
import { unkeyHttp, unstorageHttp } from "../lib/peers.mjs";
import { sameData } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TEN = Array.from({ length: 10 }, (_, i) => `http:ten:${i}`);
const PEERS = ["@unkey/cache", "unstorage (upstash driver)"];

/** Keys every check expects to survive: two loaded ones and one under another tag. */
async function untouched(lib) {
  const kept = await Promise.all(["http:warm", "http:cold", "http:other"].map((key) => lib.get(key)));
  return sameData(kept, [value("http:warm"), value("http:cold"), value("http:other")]);
}

/** The work list: `run` is counted, `check` (uncounted) says whether the library did it right. */
const STEPS = [
  {
    name: "hit",
    run: (lib) => lib.getOrLoad("http:warm"),
    check: async (_lib, got) => sameData(got, value("http:warm")),
  },
  {
    name: "storing miss",
    run: (lib) => lib.getOrLoad("http:cold"),
    check: async (lib, got) =>
      sameData([got, await lib.get("http:cold")], [value("http:cold"), value("http:cold")]),
  },
  {
    name: "tagged set",
    run: (lib) => lib.setTagged("http:tagged", value("http:tagged"), "group"),
    check: async (lib) => sameData(await lib.get("http:tagged"), value("http:tagged")),
  },
  {
    name: "tag invalidation",
    run: (lib) => lib.deleteTag("group"),
    check: async (lib, got) => got === 1 && (await lib.get("http:tagged")) === undefined && untouched(lib),
  },
  {
    name: "10 tagged sets, one after another",
    run: async (lib) => {
      for (const key of TEN) await lib.setTagged(key, value(key), "ten");
    },
    check: async (lib) => sameData(await Promise.all(TEN.map((key) => lib.get(key))), TEN.map(value)),
  },
  {
    name: "tag invalidation over 10 keys",
    run: (lib) => lib.deleteTag("ten"),
    check: async (lib, got) =>
      got === 10 &&
      (await Promise.all(TEN.map((key) => lib.get(key)))).every((v) => v === undefined) &&
      untouched(lib),
  },
];
/** The issue's work list: the first four steps. */
const WORK = STEPS.slice(0, 4).map((step) => step.name);

/** Commands as the gateway saw them: in order when few, else counted ("set ×10, eval ×10"). */
function commandText(commands) {
  if (commands.length <= 4) return commands.join(", ");
  const counts = new Map();
  for (const command of commands) counts.set(command, (counts.get(command) ?? 0) + 1);
  return [...counts].map(([command, n]) => `${command} ×${n}`).join(", ");
}

export default async function run({ upstashUrl, upstashToken }) {
  const control = async (path) => (await fetch(`${upstashUrl}/__control/${path}`, { method: "POST" })).json();
  // Counts the gateway requests one step causes; waits for fire-and-forget writes to land.
  const count = async (fn) => {
    await sleep(100);
    await control("reset");
    const result = await fn();
    await sleep(150);
    const stats = await control("stats");
    return { requests: stats.requests, commands: stats.commands, result };
  };
  const libraries = [
    { name: "isocache", make: () => isocacheHttp(upstashUrl, upstashToken) },
    { name: PEERS[0], make: () => unkeyHttp(upstashUrl, upstashToken, value) },
    { name: PEERS[1], make: () => unstorageHttp(upstashUrl, upstashToken, value) },
  ];
  const cells = {}; // library -> step -> text
  const measured = {}; // library -> step -> requests (right answers only)
  for (const { name, make } of libraries) {
    cells[name] = {};
    measured[name] = {};
    const lib = await make();
    if (lib.missing) {
      for (const step of STEPS) cells[name][step.name] = lib.missing;
      continue;
    }
    // Setup, uncounted: a stored key to hit and one under another tag that must survive.
    await lib.getOrLoad("http:warm");
    await lib.setTagged("http:other", value("http:other"), "other");
    for (const step of STEPS) {
      const { requests, commands, result } = await count(() => step.run(lib));
      const right = await step.check(lib, result).catch(() => false);
      if (!right) {
        cells[name][step.name] = `wrong answer (${requests} requests)`;
        continue;
      }
      measured[name][step.name] = requests;
      cells[name][step.name] = `${requests} (${commandText(commands)})`;
    }
    await lib.close?.();
  }
  const total = (name, steps) => {
    const counts = steps.map((step) => measured[name][step]);
    return counts.every((n) => n !== undefined) ? counts.reduce((a, b) => a + b, 0) : undefined;
  };
  const allSteps = STEPS.map((step) => step.name);
  const rows = STEPS.map((step) => [step.name, ...libraries.map(({ name }) => cells[name][step.name])]);
  const totalCell = (name, steps) => {
    const sum = total(name, steps);
    return sum === undefined ? "incomplete (see above)" : `**${sum}**`;
  };
  rows.push([
    "**total: the work list (first four rows)**",
    ...libraries.map(({ name }) => totalCell(name, WORK)),
  ]);
  rows.push(["**total: every row**", ...libraries.map(({ name }) => totalCell(name, allSteps))]);
  return {
    id: "http",
    title: "HTTP Redis economy",
    description:
      "HTTP requests reaching the Upstash-compatible gateway per step (the gateway counts them; the commands it forwarded are in brackets), every library through `@upstash/redis` (auto-pipelining on, its default) against the same gateway and Redis. hit: a get-or-load of a key stored before; storing miss: a get-or-load of a cold key, which loads and stores; tagged set: a write carrying one tag; tag invalidation: deleting every key of that tag. Each step is checked afterwards with uncounted reads (the value is there, the tagged keys are gone, an untagged key and a key under another tag remain); a wrong answer is reported and kept out of the totals. @unkey/cache runs with its Upstash store alone (no memory tier in front) so each step reaches Redis; unstorage has no get-or-load, so its storing miss is getItem + setItem. Neither has tags, so their tag rows are the plain emulation a user writes with their documented calls: a list of keys under a tag key, read and rewritten on each tagged set (one writer at a time; concurrent writers would lose entries), then read, and its keys and itself deleted in one call (@unkey/cache `remove` takes a list) or in concurrent `removeItem` calls (unstorage) that the client's auto-pipelining folds. isocache keeps the index as a Redis set, writes a tagged value and its index entries in one script and invalidates a tag with one script, both atomic across processes. A hit cannot cost less than 1 request nor a storing miss less than 2 (a read, then the write after the loader), so those rows are equal by construction; the difference is in the tag rows.",
    tables: [
      {
        columns: ["step", ...libraries.map(({ name }) => (name === "isocache" ? "**isocache**" : name))],
        rows,
      },
    ],
    charts: [
      {
        file: "http-requests.svg",
        svg: barChart({
          title: "HTTP requests for the work list (Upstash REST)",
          subtitle: "hit + storing miss + tagged set + tag invalidation; lower is better",
          bars: [...WORK, "total"].flatMap((step) =>
            libraries.map(({ name }) => {
              const v = step === "total" ? total(name, WORK) : measured[name][step];
              return {
                label: `${name} — ${step}`,
                value: v ?? 0,
                text: v === undefined ? "not available" : String(v),
                highlight: name === "isocache",
                missing: v === undefined,
              };
            }),
          ),
        }),
      },
    ],
    targets: targets(measured, total, allSteps),
  };
}

function targets(measured, total, allSteps) {
  const iso = measured.isocache;
  const has = iso.hit !== undefined;
  const mine = total("isocache", WORK);
  const peers = PEERS.filter((name) => total(name, WORK) !== undefined);
  const per = (step) => ["isocache", ...PEERS].map((name) => measured[name][step] ?? "—").join(" / ");
  const breakdown = `${WORK.map((step) => `${step} ${per(step)}`).join(", ")}; tag over 10 keys ${per("tag invalidation over 10 keys")}; every row ${["isocache", ...PEERS].map((name) => total(name, allSteps) ?? "—").join(" / ")}`;
  let met = null;
  if (mine === undefined) met = has ? false : null;
  else if (peers.length > 0) met = peers.every((name) => mine < total(name, WORK));
  const skipped = PEERS.filter((name) => !peers.includes(name));
  return [
    { text: "1 request per hit", met: has ? iso.hit === 1 : null, detail: has ? `${iso.hit}` : MISSING },
    {
      text: "at most 2 requests per storing miss",
      met: iso["storing miss"] === undefined ? (has ? false : null) : iso["storing miss"] <= 2,
      detail: iso["storing miss"] === undefined ? "no right answer" : `${iso["storing miss"]}`,
    },
    {
      text: "fewer requests than @unkey/cache and unstorage's upstash driver for the same work (hit + storing miss + tagged set + tag invalidation)",
      met,
      detail:
        mine === undefined && !has
          ? MISSING
          : `total ${mine ?? "—"} vs ${PEERS.map((name) => total(name, WORK) ?? "—").join(" / ")} (isocache / @unkey/cache / unstorage: ${breakdown})${skipped.length > 0 ? `; not compared (wrong or missing answers): ${skipped.join(", ")}` : ""}`,
    },
  ];
}

/** isocache over upstash:// through the gateway, in the shape of the peers' adapters. */
async function isocacheHttp(url, token) {
  const made = await isoUpstash(url, token);
  if (made.missing) return { missing: made.missing };
  const { cache } = made;
  const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(key) {
    return value(key);
  });
  return {
    getOrLoad: (key) => load(key),
    get: (key) => cache.get(key),
    async setTagged(key, data, tag) {
      if (!(await cache.set(key, data, { ttl: "1h", tags: [tag] })))
        throw new Error(`set of ${key} not stored`);
    },
    deleteTag: (tag) => cache.deleteTags(tag),
    close: () => cache.close(),
  };
}
