// HTTP Redis economy: HTTP requests that reach the project's Upstash-compatible gateway
// (test/support/upstash-gateway.ts, which counts them) for a hit, a storing miss, a tagged set
// and a tag invalidation, each done alone after the counters are reset.
import { isoUpstash, MISSING } from "../lib/isocache.mjs";
import { sameData } from "../lib/stats.mjs";
import { barChart } from "../lib/svg.mjs";

const value = (key) => ({ id: key, name: `name of ${key}`, tags: ["alpha", "beta", "gamma"] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const OPS = ["hit", "storing miss", "tagged set", "tag invalidation"];

export default async function run({ upstashUrl, upstashToken }) {
  const control = async (path) => (await fetch(`${upstashUrl}/__control/${path}`, { method: "POST" })).json();
  // Counts the gateway requests one operation causes; waits for fire-and-forget writes to land.
  const count = async (op) => {
    await sleep(100);
    await control("reset");
    const result = await op();
    await sleep(150);
    const stats = await control("stats");
    return { requests: stats.requests, commands: stats.commands, result };
  };
  const libraries = [
    await isocacheOps(upstashUrl, upstashToken),
    await unkeyOps(upstashUrl, upstashToken),
    await unstorageOps(upstashUrl, upstashToken),
  ];
  const rows = [];
  const measured = {};
  for (const lib of libraries) {
    measured[lib.name] = {};
    if (lib.missing) {
      rows.push([lib.name, ...OPS.map(() => lib.missing)]);
      continue;
    }
    const cells = [];
    for (const op of OPS) {
      const fn = lib.ops[op];
      if (fn === undefined) {
        cells.push("not offered");
        continue;
      }
      const { requests, commands, result } = await count(fn);
      if (result !== true) {
        cells.push(`wrong answer (${String(result)})`);
        continue;
      }
      measured[lib.name][op] = requests;
      cells.push(`${requests} (${commands.join(", ")})`);
    }
    rows.push([lib.name === "isocache" ? "**isocache**" : lib.name, ...cells]);
    await lib.close?.();
  }
  const iso = measured.isocache ?? {};
  const has = iso.hit !== undefined;
  const fewer = (op) =>
    ["@unkey/cache", "unstorage (upstash driver)"].every(
      (name) => measured[name]?.[op] === undefined || iso[op] < measured[name][op],
    );
  const bars = [];
  for (const op of ["hit", "storing miss"]) {
    for (const lib of libraries) {
      const v = measured[lib.name]?.[op];
      bars.push({
        label: `${lib.name} — ${op}`,
        value: v ?? 0,
        text: v === undefined ? "not available" : String(v),
        highlight: lib.name === "isocache",
        missing: v === undefined,
      });
    }
  }
  return {
    id: "http",
    title: "HTTP Redis economy",
    description:
      "HTTP requests reaching the Upstash-compatible gateway per operation (the gateway counts them; the commands it forwarded are in brackets), every library through `@upstash/redis` against the same gateway and Redis. hit: a get-or-load of a key stored before; storing miss: a get-or-load of a cold key, which loads and stores; tagged set: a write carrying one tag; tag invalidation: deleting every key of that tag. @unkey/cache runs with its Upstash store alone (no memory tier in front) so each operation reaches Redis; unstorage has no get-or-load, so its storing miss is getItem + setItem.",
    tables: [{ columns: ["library", ...OPS], rows }],
    charts: [
      {
        file: "http-requests.svg",
        svg: barChart({
          title: "HTTP requests per operation (Upstash REST)",
          subtitle: "lower is better",
          bars,
        }),
      },
    ],
    targets: [
      { text: "1 request per hit", met: has ? iso.hit === 1 : null, detail: has ? `${iso.hit}` : MISSING },
      {
        text: "at most 2 requests per storing miss",
        met: has ? iso["storing miss"] <= 2 : null,
        detail: has ? `${iso["storing miss"]}` : MISSING,
      },
      {
        text: "fewer than @unkey/cache and unstorage's upstash driver for the same work",
        met: has ? fewer("hit") && fewer("storing miss") : null,
        detail: has
          ? `hit ${iso.hit} vs ${measured["@unkey/cache"]?.hit} / ${measured["unstorage (upstash driver)"]?.hit}; storing miss ${iso["storing miss"]} vs ${measured["@unkey/cache"]?.["storing miss"]} / ${measured["unstorage (upstash driver)"]?.["storing miss"]}`
          : MISSING,
      },
    ],
  };
}

async function isocacheOps(url, token) {
  const made = await isoUpstash(url, token);
  if (made.missing) return { name: "isocache", missing: made.missing };
  const { cache } = made;
  const load = cache.cached({ ttl: "1h", key: "http:{0}" })(async function load(key) {
    return value(key);
  });
  await load("warm");
  return {
    name: "isocache",
    ops: {
      hit: async () => sameData(await load("warm"), value("warm")),
      "storing miss": async () => sameData(await load("cold"), value("cold")),
      "tagged set": async () =>
        (await cache.set("http:tagged", value("t"), { ttl: "1h", tags: ["group"] })) === true,
      "tag invalidation": async () => (await cache.deleteTags("group")) === 1,
    },
    close: () => cache.close(),
  };
}

async function unkeyOps(url, token) {
  const { Redis } = await import("@upstash/redis");
  const { createCache, DefaultStatefulContext, Namespace } = await import("@unkey/cache");
  const { UpstashRedisStore } = await import("@unkey/cache/stores");
  const redis = new Redis({ url, token, enableTelemetry: false });
  const ctx = new DefaultStatefulContext();
  const cache = createCache({
    item: new Namespace(ctx, {
      stores: [new UpstashRedisStore({ redis })],
      fresh: 3_600_000,
      stale: 7_200_000,
    }),
  });
  const swr = async (key) => (await cache.item.swr(key, async () => value(key))).val;
  await swr("warm");
  await sleep(100);
  return {
    name: "@unkey/cache",
    ops: {
      hit: async () => sameData(await swr("warm"), value("warm")),
      "storing miss": async () => sameData(await swr("cold"), value("cold")),
    },
  };
}

async function unstorageOps(url, token) {
  const { createStorage } = await import("unstorage");
  const { default: upstashDriver } = await import("unstorage/drivers/upstash");
  const storage = createStorage({ driver: upstashDriver({ url, token, base: "unstorage" }) });
  const getOrLoad = async (key) => {
    const hit = await storage.getItem(key);
    if (hit !== null) return hit;
    const fresh = value(key);
    await storage.setItem(key, fresh, { ttl: 3600 });
    return fresh;
  };
  await getOrLoad("warm");
  return {
    name: "unstorage (upstash driver)",
    ops: {
      hit: async () => sameData(await getOrLoad("warm"), value("warm")),
      "storing miss": async () => sameData(await getOrLoad("cold"), value("cold")),
    },
    close: () => storage.dispose(),
  };
}
