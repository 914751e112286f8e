// The read-and-rewrite `incr` (tagged, signed or fractional counters) over a backend with a
// compare-and-set `replace`: another writer between the read and the write makes it read again,
// and a key that never stops changing ends in a `CacheBackendError` instead of a lost update.
import { describe, expect, it } from "vitest";
import { type Backend, Cache, CacheBackendError } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";
import { REWRITE_ATTEMPTS } from "../../src/core/counters";

/**
 * A memory backend with `replace`; before each of its first `races` compares, `other` (a second
 * cache on the same store, standing for another process) writes the key.
 */
function sharedStore(races: number) {
  const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
  const other = new Cache().setup(inner);
  let replaces = 0;
  const replace = async (key: string, expected: string, value: string, ttl?: number) => {
    replaces++;
    if (replaces <= races) await other.incr(key, 10);
    if ((await inner.get(key)) !== expected) return false;
    const left = ttl ?? (await inner.getExpire(key));
    return inner.set(key, value, { ttl: left > 0 ? left : undefined });
  };
  const backend = new Proxy(inner, {
    get(target, name) {
      if (name === "replace") return replace;
      if (name === "readSlot") return undefined;
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { cache: new Cache().setup(backend), other, replaces: () => replaces };
}

describe("incr by rewrite over a compare-and-set backend", () => {
  it("reads again after another writer's change and loses neither update", async () => {
    const { cache, replaces } = sharedStore(3);
    await cache.set("hits", 1, { tags: ["counters"], ttl: "1h" });
    expect(await cache.incr("hits")).toBe(32);
    expect(replaces()).toBe(4);
    expect(await cache.get("hits")).toBe(32);
    // The TTL and the tag stayed through the rewrites.
    expect(await cache.getExpire("hits")).toBeGreaterThan(3_500_000);
    expect(await cache.deleteTags("counters")).toBe(1);
  });

  it("adds to a counter another writer made, and creates a missing one with its TTL", async () => {
    const { cache, other } = sharedStore(0);
    await cache.set("seed", 0, { tags: ["t"] }); // a tagged store, so the counters below rewrite
    await other.set("made", 5, { tags: ["t"] });
    expect(await cache.incr("made", 0.5)).toBe(5.5);
    expect(await cache.incr("fresh", 0.5, { ttl: "1m" })).toBe(0.5);
    expect(await cache.getExpire("fresh")).toBeGreaterThan(50_000);
  });

  it(`gives up with a CacheBackendError after ${REWRITE_ATTEMPTS} rewrites lost in a row`, async () => {
    const { cache, other, replaces } = sharedStore(Number.POSITIVE_INFINITY);
    await cache.set("busy", 0, { tags: ["counters"] });
    const error = await cache.incr("busy").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as CacheBackendError).message).toMatch(/compare-and-set.*retry later/s);
    expect(replaces()).toBe(REWRITE_ATTEMPTS);
    // Nothing of this cache's was written; the other writer's updates all stand.
    expect(await other.get("busy")).toBe(10 * REWRITE_ATTEMPTS);
  });
});

describe("incr by rewrite on a key that holds no number", () => {
  it("refuses with CacheValueError naming what it found", async () => {
    const cache = new Cache();
    const cases: [unknown, string][] = [
      [null, "found null"],
      [{ a: 1 }, "found an object"],
      [[1], "found an array"],
      ["7", "found a string"],
    ];
    for (const [value, found] of cases) {
      await cache.set("k", value);
      const error = await cache.incr("k", 0.5).catch((caught: unknown) => caught);
      expect((error as Error).name).toBe("CacheValueError");
      expect((error as Error).message).toContain(`incr("k") ${found}, not a finite number`);
    }
  });
});

describe("incr past Number.MAX_SAFE_INTEGER", () => {
  // Past 2^53 a double cannot tell n from n + 1: an increment there would be lost without a word.
  it("refuses with CacheValueError and keeps the value, natively and by rewrite", async () => {
    const { cache } = sharedStore(0);
    const plain = new Cache();
    for (const [target, tags] of [
      [plain, undefined],
      [plain, ["counters"]],
      [cache, ["counters"]],
    ] as const) {
      for (const [start, by] of [
        [Number.MAX_SAFE_INTEGER, 1],
        [Number.MAX_SAFE_INTEGER - 1, 5],
        [-Number.MAX_SAFE_INTEGER, -1],
        [2 ** 53, 1],
      ]) {
        await target.set("n", start, { tags });
        const error = await target.incr("n", by).catch((caught: unknown) => caught);
        expect((error as Error).name).toBe("CacheValueError");
        expect((error as Error).message).toMatch(/incr\("n"\) .*safe integer range/);
        expect(await target.get("n")).toBe(start);
      }
    }
    // Up to the limit itself it still counts.
    await plain.set("m", Number.MAX_SAFE_INTEGER - 1);
    expect(await plain.incr("m")).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("incr past Number.MAX_SAFE_INTEGER inside a transaction", () => {
  it("refuses with CacheValueError, and the commit keeps the value", async () => {
    const cache = new Cache();
    await cache.set("n", Number.MAX_SAFE_INTEGER);
    const error = await cache
      .transaction(async () => {
        await cache.incr("n");
      })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe("CacheValueError");
    expect((error as Error).message).toMatch(/incr\("n"\) .*safe integer range/);
    expect(await cache.get("n")).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("a custom backend whose incr answers outside the safe integer range", () => {
  it("is a CacheValueError naming the contract, not a count taken as right", async () => {
    class Careless extends MemoryBackend {
      override readonly name = "careless" as "memory";
      override async incr(): Promise<number> {
        return 2 ** 53 + 2;
      }
    }
    const cache = new Cache().setup(new Careless());
    const error = await cache.incr("n").catch((caught: unknown) => caught);
    expect((error as Error).name).toBe("CacheValueError");
    expect((error as Error).message).toMatch(
      /^\[isocache\] \[careless\] incr\("n"\) answered 9007199254740994, outside the safe integer range.*make the backend's incr throw CacheValueError/,
    );
  });
});
