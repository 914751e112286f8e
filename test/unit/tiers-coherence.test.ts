// Tiers and a last tier that fails or loses a key: no tier above may go on serving a value, or
// keeping a TTL, that the last tier (the authority) does not have.
import { describe, expect, it } from "vitest";
import { type Backend, Cache } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";
import { TieredBackend } from "../../src/core/tiers";

/**
 * A memory backend whose methods named in `failing` fail: `before` without applying the call,
 * `after` once they applied it (a reply lost on its way back, as over a dropped connection).
 */
function faulty(failing: Set<string>, when: "before" | "after"): { backend: Backend; inner: Backend } {
  const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
  const backend = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name === "readSlot") return undefined;
      if (typeof value !== "function") return value;
      if (typeof name === "string" && failing.has(name))
        return async (...args: unknown[]) => {
          if (when === "after") await value.apply(target, args);
          throw new Error(`${name} lost`);
        };
      return value.bind(target);
    },
  });
  return { backend, inner };
}

function memory(): Backend {
  return new MemoryBackend({ size: 100 }) as unknown as Backend;
}

describe("tiers: expire keeps no copy above longer than the last tier's key", () => {
  for (const suppress of [true, false]) {
    it(`the last tier's expire fails (suppress: ${suppress}): the copy above keeps no longer TTL`, async () => {
      const failing = new Set<string>();
      const upper = memory();
      const { backend: lower } = faulty(failing, "before");
      const cache = new Cache().setup(new TieredBackend([upper, lower]), {
        suppress,
        onError: () => undefined,
      });
      await cache.set("k", "v", { ttl: 1000 });
      failing.add("expire");
      const done = cache.expire("k", 3_600_000);
      if (suppress) expect(await done).toBe(false);
      else await expect(done).rejects.toThrow("expire lost");
      const left = await upper.getExpire("k");
      expect(left === -2 || left <= 1000).toBe(true);
    });
  }

  it("the last tier no longer has the key: expire answers false and drops the copy above", async () => {
    const upper = memory();
    const { backend: lower, inner } = faulty(new Set(), "before");
    const cache = new Cache().setup(new TieredBackend([upper, lower]));
    await cache.set("k", "v", { ttl: 1000 });
    await inner.delete("k"); // evicted below
    expect(await cache.expire("k", 3_600_000)).toBe(false);
    expect(await upper.getExpire("k")).toBe(-2);
  });
});

describe("tiers: a counter's copy above follows the last tier", () => {
  it("an incr the last tier applied but whose answer was lost drops the copy above", async () => {
    const failing = new Set<string>();
    const upper = memory();
    const { backend: lower } = faulty(failing, "after");
    const cache = new Cache().setup(new TieredBackend([upper, lower]), { suppress: false });
    expect(await cache.incr("n", 1)).toBe(1);
    expect(await cache.get("n")).toBe(1); // copied up
    failing.add("incr");
    await expect(cache.incr("n", 1)).rejects.toThrow("incr lost");
    failing.clear();
    expect(await cache.get("n")).toBe(2);
  });

  it("a set the last tier applied but whose answer was lost leaves the tiers agreeing", async () => {
    const failing = new Set<string>();
    const upper = memory();
    const { backend: lower } = faulty(failing, "after");
    const cache = new Cache().setup(new TieredBackend([upper, lower]), { suppress: false });
    await cache.set("k", "old");
    failing.add("set");
    await expect(cache.set("k", "new")).rejects.toThrow("set lost");
    failing.clear();
    expect(await cache.get("k")).toBe("new");
  });

  it("a delete the last tier applied but whose answer was lost leaves nothing above", async () => {
    const failing = new Set<string>();
    const upper = memory();
    const { backend: lower } = faulty(failing, "after");
    const cache = new Cache().setup(new TieredBackend([upper, lower]), { suppress: false });
    await cache.set("k", "old");
    failing.add("delete");
    await expect(cache.delete("k")).rejects.toThrow("delete lost");
    failing.clear();
    expect(await cache.get("k", "miss")).toBe("miss");
  });
});

describe("tiers: batches and tags", () => {
  it("setMany the last tier refuses leaves no copies above; deleteMany leaves none either", async () => {
    const failing = new Set<string>();
    const upper = memory();
    const { backend: lower, inner } = faulty(failing, "before");
    const cache = new Cache().setup(new TieredBackend([upper, lower]), {
      suppress: true,
      onError: () => undefined,
    });
    failing.add("set");
    failing.add("setMany");
    await cache.setMany([
      ["a", 1],
      ["b", 2],
    ]);
    expect(await upper.get("a")).toBeUndefined();
    expect(await cache.getMany(["a", "b"], "miss")).toEqual(["miss", "miss"]);
    failing.clear();
    await cache.setMany(
      [
        ["a", 1],
        ["b", 2],
      ],
      { ttl: 1000 },
    );
    expect(await cache.getMany(["a", "b"])).toEqual([1, 2]);
    expect(await upper.getExpire("a")).toBeLessThanOrEqual(1000);
    expect(await cache.deleteMany(["a", "b"])).toBe(2);
    expect(await upper.get("a")).toBeUndefined();
    expect(await inner.get("a")).toBeUndefined();
  });

  it("deleteTags, deleteMatch and clear leave nothing above", async () => {
    const upper = memory();
    const { backend: lower } = faulty(new Set(), "before");
    const cache = new Cache().setup(new TieredBackend([upper, lower]));
    await cache.set("t:1", 1, { tags: ["x"] });
    await cache.set("m:1", 1);
    await cache.set("c:1", 1);
    await cache.get("t:1");
    await cache.deleteTags("x");
    expect(await upper.get("t:1")).toBeUndefined();
    expect(await cache.deleteMatch("m:*")).toBe(1);
    expect(await upper.get("m:1")).toBeUndefined();
    await cache.clear();
    expect(await upper.get("c:1")).toBeUndefined();
  });
});

describe("tiers over a last tier that expires nothing (TTLs in records)", () => {
  it("a copy above ends with the record's TTL, also after expire() shortens or stretches it", async () => {
    const { mapBackend } = await import("../support/map-backend");
    const upper = memory();
    const lower = mapBackend();
    const cache = new Cache().setup(new TieredBackend([upper, lower]));
    await cache.set("k", "v", { ttl: 5000 });
    lower.map.delete("k");
    expect(await cache.expire("k", 60_000)).toBe(false);
    expect(await cache.get("k", "miss")).toBe("miss");
    await cache.set("k", "v", { ttl: 60_000 });
    expect(await cache.get("k")).toBe("v");
    expect(await cache.expire("k", 30)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await cache.get("k", "miss")).toBe("miss");
    expect(await cache.exists("k")).toBe(false);
  });
});

describe("tiers over a shared last tier that expires nothing: what another cache deleted stays deleted", () => {
  async function two() {
    const { mapBackend } = await import("../support/map-backend");
    const lower = mapBackend();
    const open = () => new Cache().setup(new TieredBackend([memory(), lower]));
    return { lower, a: open(), b: open() };
  }

  it("expire and set with exist: true on a key another cache deleted do not write it back below", async () => {
    const { lower, a, b } = await two();
    await a.set("k", "v", { ttl: 60_000 });
    expect(await b.get("k")).toBe("v"); // b's copy above
    await a.delete("k");
    expect(await b.expire("k", 60_000)).toBe(false);
    expect(await b.set("k", "w", { exist: true })).toBe(false);
    expect(lower.map.has("k")).toBe(false);
  });

  it("a lock another cache released is free here at once, not when a copy of it ends", async () => {
    const { a, b } = await two();
    expect(await a.setLock("L", "ta", "60s")).toBe(true);
    expect(await b.isLocked("L")).toBe(true);
    expect(await b.setLock("L", "tb", "60s")).toBe(false);
    expect(await a.unlock("L", "ta")).toBe(true);
    expect(await b.isLocked("L")).toBe(false);
    expect(await b.setLock("L", "tb", "60s")).toBe(true);
  });

  it("incr of a tagged counter adds to the shared count, not to a copy above", async () => {
    const { a, b } = await two();
    await a.set("n", 1, { tags: ["c"] });
    expect(await b.get("n")).toBe(1); // b's copy above
    expect(await a.incr("n", 1)).toBe(2);
    expect(await b.incr("n", 1)).toBe(3);
  });
});

describe("tiers: a tier above that cannot take a copy", () => {
  for (const suppress of [true, false]) {
    it(`a read still answers from below when the copy up fails (suppress: ${suppress}), and leaves nothing above`, async () => {
      const failing = new Set<string>();
      const { backend: upper, inner } = faulty(failing, "before");
      const lower = memory();
      const reported: unknown[] = [];
      const cache = new Cache().setup(new TieredBackend([upper, lower]), {
        suppress,
        onError: (error) => void reported.push(error),
      });
      await cache.set("direct", "d"); // a value the cache wrote, to read back through the codec
      await inner.delete("direct");
      failing.add("set"); // the tier above is full, read-only, or its disk is
      expect(await cache.get("direct")).toBe("d");
      expect(await cache.getMany(["direct"])).toEqual(["d"]);
      expect(await inner.get("direct")).toBeUndefined();
      expect(reported).toEqual([]);
    });
  }
});
