// Strategy tags are rendered and checked on a miss before the wrapped function runs: a tag that
// renders badly refuses the call before any side effect, as a bad key does, instead of failing
// the store after the function ran and losing its result.
import { describe, expect, it } from "vitest";
import { Cache, CacheArgumentError, registerFormatter } from "../../runtimes/node";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

// A formatter that cuts text by UTF-16 units: on an emoji it leaves a lone surrogate.
registerFormatter("tagsbefore_first", (value) => String(value).slice(0, 1));

type Wrap = (
  cache: Cache,
  fn: (id: string, tag: string) => Promise<string>,
) => (id: string, tag: string) => Promise<string>;

const TAGS = ["t:{1}"];
const strategies: Record<string, Wrap> = {
  cached: (cache, fn) => cache.cached({ ttl: "1m", key: "k:{id}", tags: TAGS })(fn),
  failover: (cache, fn) => cache.failover({ ttl: "1m", key: "k:{id}", tags: TAGS })(fn),
  early: (cache, fn) => cache.early({ ttl: "1m", earlyTtl: "30s", key: "k:{id}", tags: TAGS })(fn),
  soft: (cache, fn) => cache.soft({ ttl: "1m", softTtl: "30s", key: "k:{id}", tags: TAGS })(fn),
  hit: (cache, fn) => cache.hit({ ttl: "1m", cacheHits: 3, key: "k:{id}", tags: TAGS })(fn),
  "cached with lock": (cache, fn) => cache.cached({ ttl: "1m", key: "k:{id}", tags: TAGS, lock: true })(fn),
  "early with lock": (cache, fn) =>
    cache.early({ ttl: "1m", earlyTtl: "30s", key: "k:{id}", tags: TAGS, lock: true })(fn),
};

describe("strategy tags are checked before the function runs", () => {
  for (const [name, wrap] of Object.entries(strategies)) {
    it(`${name}: a tag with a lone surrogate refuses the call before it runs`, async () => {
      const cache = new Cache();
      let calls = 0;
      const fn = wrap(cache, async function load(id: string, _tag: string) {
        calls++;
        return `v:${id}`;
      });
      const refused = await fn("1", "\uD800").catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(CacheArgumentError);
      expect(String((refused as Error).message)).toMatch(/tag/);
      expect(calls).toBe(0);
      // Good tags still store under their tag.
      expect(await fn("2", "ok")).toBe("v:2");
      expect(calls).toBe(1);
      const key = await (fn as unknown as { key(...args: string[]): Promise<string> }).key("2", "ok");
      expect(await cache.exists(key)).toBe(true);
      await cache.deleteTags("t:ok");
      expect(await cache.exists(key)).toBe(false);
    });
  }

  it("cached: a tag a formatter cuts into a lone surrogate refuses the call before it runs", async () => {
    const cache = new Cache();
    let calls = 0;
    const fn = cache.cached({ ttl: "1m", key: "k:{0}", tags: ["initial:{0:tagsbefore_first}"] })(
      async function load(name: string) {
        calls++;
        return name;
      },
    );
    await expect(fn("\u{1F600}x")).rejects.toBeInstanceOf(CacheArgumentError);
    expect(calls).toBe(0);
  });

  it("fn.refresh refuses a bad tag before it runs", async () => {
    const cache = new Cache();
    let calls = 0;
    const fn = cache.cached({ ttl: "1m", key: "k:{id}", tags: TAGS })(async function load(
      id: string,
      _tag: string,
    ) {
      calls++;
      return id;
    });
    await expect(fn.refresh("1", "\uDC00")).rejects.toBeInstanceOf(CacheArgumentError);
    expect(calls).toBe(0);
  });

  it("iterator: a bad tag refuses the iteration before the source starts", async () => {
    const cache = new Cache();
    let started = 0;
    const rows = cache.iterator({ ttl: "1m", key: "rows:{id}", tags: TAGS })(async function* rows(
      id: string,
      _tag: string,
    ) {
      started++;
      yield id;
    });
    await expect(collect(rows("1", "\uD800"))).rejects.toBeInstanceOf(CacheArgumentError);
    expect(started).toBe(0);
    expect(await collect(rows("2", "ok"))).toEqual(["2"]);
    expect(started).toBe(1);
  });
});
