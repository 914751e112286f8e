// Workers KV `list` answers at most 1000 keys a call: scan, getMatch, deleteMatch, getKeysCount
// and clear must follow its cursor over several pages, on miniflare's real KV, missing no key and
// yielding none twice. The keys of other bases in the same namespace sort before, between and
// after this base's, so a page boundary or a cursor that ran past the prefix would show.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";

const KEYS = 2_500;
const KV_PAGE = 1_000;
const BASE = "pages:";
/** Neighbours sorting before and after BASE, which no command on BASE may reach. */
const NEIGHBOURS = ["pagea:", "pagez:"];

const keyOf = (i: number) => `k${String(i).padStart(4, "0")}`;
const all = Array.from({ length: KEYS }, (_, i) => keyOf(i));

async function fill(cache: lib.Cache): Promise<void> {
  for (let start = 0; start < KEYS; start += 250) {
    await cache.setMany(Object.fromEntries(all.slice(start, start + 250).map((key) => [key, key])));
  }
}

/** Every KV key stored under `prefix`, read page by page straight from the binding. */
async function stored(prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await env.CACHE.list(cursor === undefined ? { prefix } : { prefix, cursor });
    names.push(...page.keys.map((key) => key.name));
    if (page.list_complete) return names;
    cursor = page.cursor;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

afterEach(async () => {
  await Promise.all(
    [BASE, ...NEIGHBOURS].map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()),
  );
});

async function setUp(): Promise<lib.Cache> {
  const cache = new lib.Cache().setup({ kv: env.CACHE, base: BASE }, { suppress: false });
  await fill(cache);
  for (const base of NEIGHBOURS) {
    await new lib.Cache().setup({ kv: env.CACHE, base }).setMany({ k0000: "n", k2499: "n", zz: "n" });
  }
  // The premise: the base's keys do take several `list` pages.
  const first = await env.CACHE.list({ prefix: BASE });
  expect(first.keys).toHaveLength(KV_PAGE);
  expect(first.list_complete).toBe(false);
  return cache;
}

describe(`cloudflare-kv: ${KEYS} keys, over ${Math.ceil(KEYS / KV_PAGE)} list pages`, () => {
  it("scan and getMatch yield every key once, and getKeysCount counts each once", async () => {
    const cache = await setUp();
    const scanned = await collect(cache.scan("*"));
    expect(scanned).toHaveLength(KEYS);
    expect([...new Set(scanned)].sort()).toEqual(all);
    const matched = await collect(cache.getMatch<string>("k*"));
    expect(matched).toHaveLength(KEYS);
    expect(matched.every(([key, value]) => key === value)).toBe(true);
    expect(new Set(matched.map(([key]) => key)).size).toBe(KEYS);
    expect(await cache.getKeysCount()).toBe(KEYS);
  });

  it("a pattern matching keys on every page finds them all; deleteMatch deletes exactly those", async () => {
    const cache = await setUp();
    // k??7: one key in ten, spread over the three pages.
    const sevens = all.filter((key) => key.endsWith("7"));
    expect((await collect(cache.scan("k???7"))).sort()).toEqual(sevens);
    expect(await cache.deleteMatch("k???7")).toBe(sevens.length);
    expect(await cache.getKeysCount()).toBe(KEYS - sevens.length);
    const left = await stored(BASE);
    expect(left).toHaveLength(KEYS - sevens.length);
    expect(left.some((name) => name.endsWith("7"))).toBe(false);
    // A prefix pattern spanning the page boundaries at 1000 and 2000.
    const middle = all.filter((key) => key >= "k0900" && key < "k2100" && !key.endsWith("7"));
    expect(await cache.deleteMatch("k09*")).toBe(90);
    expect(await cache.deleteMatch("k1*")).toBe(900);
    expect(await cache.deleteMatch("k20*")).toBe(90);
    expect(middle).toHaveLength(1_080);
    expect(await cache.getKeysCount()).toBe(KEYS - sevens.length - middle.length);
    for (const base of NEIGHBOURS) expect(await stored(base), base).toHaveLength(3);
  });

  it("clear deletes every key of the base and none of its neighbours'", async () => {
    const cache = await setUp();
    await cache.clear();
    expect(await stored(BASE)).toEqual([]);
    expect(await cache.getKeysCount()).toBe(0);
    expect(await collect(cache.scan("*"))).toEqual([]);
    for (const base of NEIGHBOURS) {
      expect(
        (await stored(base)).map((name) => name.slice(base.length)),
        base,
      ).toEqual(["k0000", "k2499", "zz"]);
    }
  });

  it("expired keys spread over the pages are skipped by scan and counted out of getKeysCount", async () => {
    const cache = await setUp();
    const short = all.filter((_, i) => i % 100 === 0);
    await cache.setMany(Object.fromEntries(short.map((key) => [key, "short"])), { ttl: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cache.getKeysCount()).toBe(KEYS - short.length);
    const scanned = await collect(cache.scan("*"));
    expect(scanned).toHaveLength(KEYS - short.length);
    expect(scanned.some((key) => short.includes(key))).toBe(false);
  });

  it("deleteTags reaches every one of 1,050 tagged keys (its index is one value, not a list)", {
    timeout: 60_000,
  }, async () => {
    const cache = await setUp();
    const tagged = all.slice(0, 1_050);
    await Promise.all(tagged.map((key) => cache.set(key, "tagged", { tags: ["many"] })));
    expect(await cache.deleteTags("many")).toBe(tagged.length);
    expect(await cache.getKeysCount()).toBe(KEYS - tagged.length);
    expect(await cache.getMany(tagged.slice(-3), null)).toEqual([null, null, null]);
  });
});
