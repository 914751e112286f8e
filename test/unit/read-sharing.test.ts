// Concurrent reads of one key share one backend read, and calls arriving while a load runs join
// it without reading, so a cold key costs one read and one load behind any backend. A write
// drops the shared read of its key (a clear drops all): a read started after a write never
// answers from before it, and writes of other keys do not cost extra reads.
import { describe, expect, it } from "vitest";
import { type Backend, Cache, memoryBackend } from "../../runtimes/node";

/** A memory backend that answers after `delayMs` and counts its calls, standing in for Redis. */
function slowBackend(delayMs: number) {
  const inner = memoryBackend();
  const counts: Record<string, number> = {};
  const wait = () => new Promise((resolve) => setTimeout(resolve, delayMs));
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const original = Reflect.get(target, property, receiver);
      if (typeof original !== "function" || property === "readSlot")
        return property === "readSlot" ? undefined : original;
      return async (...args: unknown[]) => {
        counts[String(property)] = (counts[String(property)] ?? 0) + 1;
        await wait();
        return original.apply(target, args);
      };
    },
  }) as Backend;
  return { backend, counts };
}

describe("read sharing", () => {
  it("reads a cold key once and loads it once for 100 concurrent cached() calls", async () => {
    const { backend, counts } = slowBackend(5);
    const cache = new Cache().setup(backend);
    let loads = 0;
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { id };
    });
    const first = await Promise.all(Array.from({ length: 100 }, () => load("a")));
    expect(first.every((value) => value.id === "a")).toBe(true);
    expect(loads).toBe(1);
    expect(counts.get).toBe(1);
    expect(counts.set).toBe(1);
    expect(load.stats()).toMatchObject({ requests: 100, misses: 100, loads: 1 });
  });

  it("lets callers that arrive during the load join it without reading", async () => {
    const { backend, counts } = slowBackend(2);
    const cache = new Cache().setup(backend);
    let loads = 0;
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 40));
      return id;
    });
    const early = load("k");
    await new Promise((resolve) => setTimeout(resolve, 15)); // the read has missed, the load runs
    const late = await Promise.all([load("k"), load("k"), load("k")]);
    expect(await early).toBe("k");
    expect(late).toEqual(["k", "k", "k"]);
    expect(loads).toBe(1);
    expect(counts.get).toBe(1);
  });

  it("gives each concurrent get its own copy of a shared read", async () => {
    const { backend, counts } = slowBackend(5);
    const cache = new Cache().setup(backend);
    await cache.set("u", { tags: ["a"] });
    const [a, b] = (await Promise.all([cache.get("u"), cache.get("u")])) as { tags: string[] }[];
    expect(counts.get).toBe(1);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
  });

  it("never answers a read started after a write with a value from before it", async () => {
    const { backend } = slowBackend(10);
    const cache = new Cache().setup(backend);
    await cache.set("k", "old");
    const before = cache.get("k"); // in flight
    await cache.set("k", "new");
    expect(await cache.get("k")).toBe("new");
    expect(["old", "new"]).toContain(await before);
    const pending = cache.get("k");
    await cache.delete("k");
    expect(await cache.get("k")).toBeUndefined();
    await pending;
  });

  it("keeps sharing a read while other keys are written; a clear drops it", async () => {
    const { backend, counts } = slowBackend(10);
    const cache = new Cache().setup(backend);
    await cache.set("k", "old");
    const first = cache.get("k"); // in flight
    await new Promise((resolve) => setTimeout(resolve, 1));
    const write = cache.set("other", 1);
    await new Promise((resolve) => setTimeout(resolve, 1));
    const second = cache.get("k"); // shares the read: a write elsewhere changed nothing it answers
    expect(await Promise.all([first, second, write])).toEqual(["old", "old", true]);
    expect(counts.get).toBe(1);
    const before = cache.get("k");
    await cache.clear();
    expect(await cache.get("k")).toBeUndefined();
    await before;
    expect(counts.get).toBe(3);
  });

  it("cached(): a call after a write of its key does not share a read started before the write", async () => {
    const { backend, counts } = slowBackend(10);
    const cache = new Cache().setup(backend);
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      return `loaded ${id}`;
    });
    const first = load("k"); // reading: it will miss and load
    const write = cache.set("k", "mine");
    await new Promise((resolve) => setTimeout(resolve, 1)); // the write has reached the backend
    const second = load("k"); // the first call's read is still running: this one reads again
    expect(await second).toBe("mine");
    expect(await first).toBe("loaded k");
    await write;
    expect(counts.get).toBe(2);
  });

  it("cached(): callers sharing a read count as it turned out, in the function's and the cache's stats", async () => {
    const { backend } = slowBackend(5);
    const cache = new Cache().setup(backend);
    await cache.set("stored", "s");
    cache.resetStats();
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return `loaded ${id}`;
    });
    const results = await Promise.all([load("stored"), load("stored"), load("cold"), load("cold")]);
    expect(results).toEqual(["s", "s", "loaded cold", "loaded cold"]);
    expect(load.stats()).toMatchObject({ requests: 4, hits: 2, misses: 2, loads: 1 });
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 });
  });

  it("reads inside a transaction see its own writes, not a load in flight", async () => {
    const { backend } = slowBackend(2);
    const cache = new Cache().setup(backend);
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return `loaded ${id}`;
    });
    const outside = load("t");
    await new Promise((resolve) => setTimeout(resolve, 10));
    const inside = await cache.transaction(async () => {
      await cache.set("t", "written in tx");
      return load("t");
    });
    expect(inside).toBe("written in tx");
    expect(await outside).toBe("loaded t");
  });

  it("answers hits from a memory first tier without asking the tier below, and misses there from below", async () => {
    const { backend, counts } = slowBackend(2);
    const cache = new Cache().setup(["mem://", backend]);
    let loads = 0;
    const load = cache.cached({ ttl: "1h", key: "{0}" })(async function load(id: string) {
      loads++;
      return { id };
    });
    await load("a");
    const readsAfterLoad = counts.get ?? 0;
    for (let i = 0; i < 5; i++) expect(await load("a")).toEqual({ id: "a" });
    expect(counts.get ?? 0).toBe(readsAfterLoad);
    // Stored below only (another process wrote it): found there, not loaded.
    await backend.set("b", JSON.stringify({ id: "from below" }));
    expect(await load("b")).toEqual({ id: "from below" });
    expect(loads).toBe(1);
    expect(counts.get ?? 0).toBe(readsAfterLoad + 1);
  });
});
