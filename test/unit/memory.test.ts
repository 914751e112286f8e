import { describe, expect, it } from "vitest";
import { IndexedMinHeap } from "../../src/backends/_shared/heap";
import { MemoryBackend, memoryBackend } from "../../src/backends/memory";
import { CacheArgumentError, CacheConfigError, CacheError, CacheValueError } from "../../src/core/errors";

function setup(size?: number) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const backend = new MemoryBackend({ size, clock });
  return { backend, clock };
}

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}

describe("memoryBackend", () => {
  it("describes itself", async () => {
    const backend = memoryBackend();
    expect(backend.name).toBe("memory");
    expect(backend.capabilities).toEqual({
      nativeTtl: true,
      minTtlMs: 0,
      maxKeyBytes: 0,
      atomic: true,
      consistency: "strong",
    });
    expect(await backend.ping()).toBe("PONG");
    expect(await backend.ping("hi")).toBe("hi");
    await expect(backend.close?.()).resolves.toBeUndefined();
  });

  for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10" as unknown as number]) {
    it(`rejects size ${String(size)}`, () => {
      expect(() => memoryBackend({ size })).toThrow(CacheConfigError);
      expect(() => memoryBackend({ size })).toThrow(
        /^\[isocache\] \[memory\] size .* is not a positive integer: /,
      );
    });
  }

  it("gets, sets, deletes; a miss is undefined and the empty string is a value", async () => {
    const { backend } = setup();
    expect(await backend.get("a")).toBeUndefined();
    expect(await backend.set("a", "1")).toBe(true);
    expect(await backend.set("e", "")).toBe(true);
    expect(await backend.get("a")).toBe("1");
    expect(await backend.get("e")).toBe("");
    expect(await backend.exists("e")).toBe(true);
    expect(await backend.delete("a")).toBe(true);
    expect(await backend.delete("a")).toBe(false);
    expect(await backend.get("a")).toBeUndefined();
  });

  it("batch methods read, write and delete in key order", async () => {
    const { backend, clock } = setup();
    await backend.setMany(
      [
        ["a", "1"],
        ["b", "2"],
      ],
      1000,
    );
    await backend.set("c", "3");
    expect(await backend.getMany(["b", "x", "a", "c"])).toEqual(["2", undefined, "1", "3"]);
    expect(await backend.getExpire("a")).toBe(1000);
    clock.t += 1000;
    expect(await backend.getMany(["a", "b", "c"])).toEqual([undefined, undefined, "3"]);
    expect(await backend.deleteMany(["a", "c", "c", "zz"])).toBe(1);
  });

  describe("expiry", () => {
    it("expires lazily on every read path at exactly the TTL", async () => {
      const { backend, clock } = setup();
      await backend.set("k", "v", { ttl: 100 });
      clock.t += 99;
      expect(await backend.get("k")).toBe("v");
      expect(await backend.exists("k")).toBe(true);
      expect(await backend.getExpire("k")).toBe(1);
      clock.t += 1;
      expect(await backend.exists("k")).toBe(false);
      expect(await backend.get("k")).toBeUndefined();
      expect(await backend.getExpire("k")).toBe(-2);
      expect(backend.stats().entries).toBe(0);
    });

    it("reports getExpire codes: ms left (rounded up), -1 without TTL, -2 missing", async () => {
      const { backend, clock } = setup();
      await backend.set("ttl", "v", { ttl: 5000 });
      await backend.set("forever", "v");
      expect(await backend.getExpire("ttl")).toBe(5000);
      clock.t += 1234.5;
      expect(await backend.getExpire("ttl")).toBe(3766);
      expect(await backend.getExpire("forever")).toBe(-1);
      expect(await backend.getExpire("missing")).toBe(-2);
    });

    it("set replaces the TTL, and a set without TTL removes it", async () => {
      const { backend, clock } = setup();
      await backend.set("k", "1", { ttl: 100 });
      await backend.set("k", "2", { ttl: 500 });
      clock.t += 200;
      expect(await backend.get("k")).toBe("2");
      await backend.set("k", "3");
      expect(await backend.getExpire("k")).toBe(-1);
      clock.t += 10_000;
      expect(await backend.get("k")).toBe("3");
      expect(backend.stats().expiring).toBe(0);
    });

    it("expire sets a new TTL on a live key only; 0 or less removes it", async () => {
      const { backend, clock } = setup();
      expect(await backend.expire("missing", 100)).toBe(false);
      await backend.set("k", "v");
      expect(await backend.expire("k", 100)).toBe(true);
      expect(await backend.getExpire("k")).toBe(100);
      expect(await backend.expire("k", 300)).toBe(true);
      clock.t += 200;
      expect(await backend.get("k")).toBe("v");
      clock.t += 100;
      expect(await backend.expire("k", 100)).toBe(false);
      await backend.set("z", "v");
      expect(await backend.expire("z", 0)).toBe(true);
      expect(await backend.exists("z")).toBe(false);
    });

    it("a set with a TTL of 0 leaves nothing behind", async () => {
      const { backend } = setup();
      await backend.set("k", "old");
      expect(await backend.set("k", "new", { ttl: 0 })).toBe(true);
      expect(await backend.get("k")).toBeUndefined();
      expect(await backend.count()).toBe(0);
    });

    it("rejects a TTL that is not a finite number", async () => {
      const { backend } = setup();
      await expect(backend.set("k", "v", { ttl: Number.NaN })).rejects.toThrow(CacheConfigError);
      await expect(backend.expire("k", Number.POSITIVE_INFINITY)).rejects.toThrow(/\[memory\] ttl Infinity/);
      expect(await backend.exists("k")).toBe(false);
    });

    it("count never includes expired keys", async () => {
      const { backend, clock } = setup();
      await backend.set("a", "1", { ttl: 10 });
      await backend.set("b", "1", { ttl: 20 });
      await backend.set("c", "1");
      expect(await backend.count()).toBe(3);
      clock.t += 10;
      expect(await backend.count()).toBe(2);
      clock.t += 10;
      expect(await backend.count()).toBe(1);
    });

    it("purges 1 expired key among 10,000 without visiting the others", async () => {
      const { backend, clock } = setup(20_000);
      for (let i = 0; i < 10_000; i++) await backend.set(`long:${i}`, "v", { ttl: 3_600_000 + i });
      await backend.set("short", "v", { ttl: 10 });
      const before = backend.stats();
      clock.t += 10;
      await backend.set("trigger", "v");
      const after = backend.stats();
      // The expired key, then the first live one that stops the purge. An O(n) sweep visits 10,001.
      expect(after.purgeVisits - before.purgeVisits).toBe(2);
      expect(after.expirations - before.expirations).toBe(1);
      expect(after.entries).toBe(10_001);
      const idle = backend.stats().purgeVisits;
      await backend.set("again", "v");
      expect(backend.stats().purgeVisits - idle).toBe(1);
    });

    it("purges on writes even for keys nobody reads again", async () => {
      const { backend, clock } = setup();
      for (let i = 0; i < 100; i++) await backend.set(`k${i}`, "v", { ttl: 5 });
      clock.t += 5;
      await backend.set("x", "v");
      expect(backend.stats()).toMatchObject({ entries: 1, expiring: 0, expirations: 100 });
    });

    it("keeps one heap slot per key however often its TTL is rewritten", async () => {
      const { backend } = setup();
      for (let i = 0; i < 1000; i++) await backend.set("hot", String(i), { ttl: 60_000 + i });
      for (let i = 0; i < 1000; i++) await backend.expire("hot", 1000 + i);
      expect(backend.stats().expiring).toBe(1);
    });
  });

  describe("LRU", () => {
    it("evicts the least recently used entry once size is exceeded", async () => {
      const { backend } = setup(3);
      await backend.set("a", "1");
      await backend.set("b", "2");
      await backend.set("c", "3");
      await backend.set("d", "4");
      expect(await backend.exists("a")).toBe(false);
      expect(await backend.count()).toBe(3);
      expect(backend.stats().evictions).toBe(1);
    });

    it("a get, an overwrite or an incr refreshes recency; exists and getExpire do not", async () => {
      const { backend } = setup(3);
      await backend.set("a", "1");
      await backend.set("b", "2");
      await backend.set("c", "3");
      await backend.get("a");
      await backend.set("e", "5");
      expect(await collect(backend.scan("*"))).toEqual(["c", "a", "e"]);
      await backend.set("c", "33");
      await backend.exists("a");
      await backend.getExpire("a");
      await backend.set("f", "6");
      expect(await collect(backend.scan("*"))).toEqual(["e", "c", "f"]);
      await backend.incr("e", 1);
      await backend.getMany(["c"]);
      await backend.set("g", "7");
      expect(await collect(backend.scan("*"))).toEqual(["e", "c", "g"]);
    });

    it("repeated reads of the newest key keep it newest", async () => {
      const { backend } = setup(2);
      await backend.set("a", "1");
      await backend.set("b", "2");
      await backend.get("b");
      await backend.get("b");
      await backend.get("a");
      await backend.set("c", "3");
      expect(await collect(backend.scan("*"))).toEqual(["a", "c"]);
    });

    it("keeps reads of a few hot keys O(1) in a full cache", async () => {
      // Re-inserting a key into a V8 Map on every read leaves tombstones in its hash chain: with
      // 10,000 entries, alternating two keys costs ~15 µs a read that way (about 6 s here, 0.1 s now).
      const { backend } = setup(10_000);
      for (let i = 0; i < 10_000; i++) await backend.set(`k${i}`, "v");
      const started = performance.now();
      for (let i = 0; i < 400_000; i++) await backend.get(i % 2 ? "k1" : "k2");
      expect(performance.now() - started).toBeLessThan(1500);
    });

    it("matches a reference LRU model under random operations", async () => {
      const size = 8;
      const { backend } = setup(size);
      const model: string[] = [];
      let seed = 42;
      const next = (n: number) => {
        seed = (seed * 48271) % 2147483647;
        return seed % n;
      };
      const use = (key: string) => {
        const at = model.indexOf(key);
        if (at >= 0) model.splice(at, 1);
        model.push(key);
        if (model.length > size) model.shift();
      };
      for (let step = 0; step < 3000; step++) {
        const key = `k${next(14)}`;
        const op = next(4);
        if (op === 0) {
          await backend.set(key, "v");
          use(key);
        } else if (op === 1) {
          const hit = (await backend.get(key)) !== undefined;
          expect(hit).toBe(model.includes(key));
          if (hit) use(key);
        } else if (op === 2) {
          expect(await backend.delete(key)).toBe(model.includes(key));
          if (model.includes(key)) model.splice(model.indexOf(key), 1);
        } else {
          expect(await backend.exists(key)).toBe(model.includes(key));
        }
        if (step % 100 === 0) expect(await collect(backend.scan("*"))).toEqual(model);
      }
    });

    it("drops expired entries before evicting a live one", async () => {
      const { backend, clock } = setup(2);
      await backend.set("live", "1");
      await backend.set("short", "2", { ttl: 5 });
      clock.t += 5;
      await backend.set("new", "3");
      expect(await backend.get("live")).toBe("1");
      expect(backend.stats().evictions).toBe(0);
    });
  });

  describe("exist", () => {
    it("exist: false stores only when absent, an expired key counting as absent", async () => {
      const { backend, clock } = setup();
      expect(await backend.set("k", "1", { exist: false, ttl: 10 })).toBe(true);
      expect(await backend.set("k", "2", { exist: false })).toBe(false);
      expect(await backend.get("k")).toBe("1");
      clock.t += 10;
      expect(await backend.set("k", "3", { exist: false })).toBe(true);
      expect(await backend.get("k")).toBe("3");
    });

    it("exist: true stores only when present", async () => {
      const { backend, clock } = setup();
      expect(await backend.set("k", "1", { exist: true })).toBe(false);
      expect(await backend.exists("k")).toBe(false);
      await backend.set("k", "1", { ttl: 10 });
      expect(await backend.set("k", "2", { exist: true })).toBe(true);
      expect(await backend.getExpire("k")).toBe(-1);
      await backend.expire("k", 10);
      clock.t += 10;
      expect(await backend.set("k", "3", { exist: true })).toBe(false);
    });
  });

  describe("locks", () => {
    it("setLock stores the token only when absent, with its TTL", async () => {
      const { backend, clock } = setup();
      expect(await backend.setLock?.("lock", "t1", 100)).toBe(true);
      expect(await backend.setLock?.("lock", "t2", 100)).toBe(false);
      expect(await backend.get("lock")).toBe("t1");
      expect(await backend.getExpire("lock")).toBe(100);
      clock.t += 100;
      expect(await backend.setLock?.("lock", "t2", 100)).toBe(true);
      expect(await backend.get("lock")).toBe("t2");
    });

    it("unlock deletes only with the right token", async () => {
      const { backend, clock } = setup();
      await backend.setLock?.("lock", "t1", 100);
      expect(await backend.unlock?.("lock", "wrong")).toBe(false);
      expect(await backend.exists("lock")).toBe(true);
      expect(await backend.unlock?.("lock", "t1")).toBe(true);
      expect(await backend.exists("lock")).toBe(false);
      expect(await backend.unlock?.("lock", "t1")).toBe(false);
      await backend.setLock?.("lock", "t1", 100);
      clock.t += 100;
      expect(await backend.unlock?.("lock", "t1")).toBe(false);
    });
  });

  describe("incr", () => {
    it("counts from 0, applying the TTL only on creation", async () => {
      const { backend, clock } = setup();
      expect(await backend.incr("n", 1, 1000)).toBe(1);
      expect(await backend.getExpire("n")).toBe(1000);
      clock.t += 400;
      expect(await backend.incr("n", 5, 5000)).toBe(6);
      expect(await backend.getExpire("n")).toBe(600);
      expect(await backend.incr("n", -10)).toBe(-4);
      expect(await backend.get("n")).toBe("-4");
      clock.t += 600;
      expect(await backend.incr("n", 2)).toBe(2);
      expect(await backend.getExpire("n")).toBe(-1);
    });

    it("adds to decimal integer text written by set", async () => {
      const { backend } = setup();
      await backend.set("n", "41");
      expect(await backend.incr("n", 1)).toBe(42);
      await backend.set("z", "-0");
      expect(Object.is(await backend.incr("z", 0), 0)).toBe(true);
    });

    for (const value of ["1.5", "abc", "", " 1", "1e3", "0x10", "99999999999999999999"]) {
      it(`throws CacheValueError on ${JSON.stringify(value)} and keeps it`, async () => {
        const { backend } = setup();
        await backend.set("n", value, { ttl: 1000 });
        await expect(backend.incr("n", 1)).rejects.toThrow(CacheValueError);
        await expect(backend.incr("n", 1)).rejects.toThrow(/^\[isocache\] \[memory\] incr of "n" failed/);
        expect(await backend.get("n")).toBe(value);
        expect(await backend.getExpire("n")).toBe(1000);
      });
    }

    it("refuses to leave the safe integer range", async () => {
      const { backend } = setup();
      await backend.set("n", String(Number.MAX_SAFE_INTEGER));
      await expect(backend.incr("n", 1)).rejects.toThrow(CacheValueError);
      expect(await backend.get("n")).toBe(String(Number.MAX_SAFE_INTEGER));
    });

    it("rejects a non-integer amount", async () => {
      const { backend } = setup();
      await expect(backend.incr("n", 1.5)).rejects.toThrow(TypeError);
      await expect(backend.incr("n", 1.5)).rejects.toThrow(CacheArgumentError);
      await expect(backend.incr("n", 1.5)).rejects.toThrow(CacheError);
      expect(await backend.exists("n")).toBe(false);
    });
  });

  describe("scan", () => {
    async function seeded() {
      const env = setup();
      for (const key of ["user:1", "user:2", "user:1:name", "users", "a.b", "a*b", "post:1"]) {
        await env.backend.set(key, "v");
      }
      await env.backend.set("user:gone", "v", { ttl: 10 });
      env.clock.t += 10;
      return env;
    }

    const cases: [string, string[]][] = [
      ["*", ["user:1", "user:2", "user:1:name", "users", "a.b", "a*b", "post:1"]],
      ["user:*", ["user:1", "user:2", "user:1:name"]],
      ["user:?", ["user:1", "user:2"]],
      ["user:[1]*", ["user:1", "user:1:name"]],
      ["user[^:]", ["users"]],
      ["a.b", ["a.b"]],
      ["a\\*b", ["a*b"]],
      ["a*b", ["a.b", "a*b"]],
      ["user:gone", []],
      ["nothing*", []],
    ];
    for (const [pattern, keys] of cases) {
      it(`${JSON.stringify(pattern)} yields live matching keys`, async () => {
        const { backend } = await seeded();
        expect((await collect(backend.scan(pattern))).sort()).toEqual([...keys].sort());
      });
    }

    it("tolerates deleting keys while iterating and skips keys deleted ahead", async () => {
      const { backend } = setup();
      for (let i = 0; i < 10; i++) await backend.set(`k${i}`, "v");
      const seen: string[] = [];
      for await (const key of backend.scan("k*")) {
        seen.push(key);
        await backend.delete(key);
        await backend.delete("k9");
      }
      expect(seen).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"]);
      expect(await backend.count()).toBe(0);
    });
  });

  it("clear removes everything", async () => {
    const { backend } = setup();
    await backend.set("a", "1", { ttl: 100 });
    await backend.set("b", "2");
    await backend.clear();
    expect(await backend.count()).toBe(0);
    expect(backend.stats()).toMatchObject({ entries: 0, expiring: 0 });
    await backend.set("a", "3", { ttl: 100 });
    expect(await backend.get("a")).toBe("3");
  });

  it("uses the system clock by default", async () => {
    const backend = memoryBackend();
    await backend.set("k", "v", { ttl: 60_000 });
    const left = await backend.getExpire("k");
    expect(left).toBeGreaterThan(59_000);
    expect(left).toBeLessThanOrEqual(60_000);
  });
});

describe("IndexedMinHeap", () => {
  type Item = { heapIndex: number; at: number };

  function counted() {
    let comparisons = 0;
    const heap = new IndexedMinHeap<Item>((a, b) => {
      comparisons++;
      return a.at < b.at;
    });
    return { heap, comparisons: () => comparisons };
  }

  it("pops in priority order through removals and updates", () => {
    const { heap } = counted();
    const items: Item[] = [];
    let seed = 7;
    for (let i = 0; i < 500; i++) {
      seed = (seed * 48271) % 2147483647;
      const item = { heapIndex: -1, at: seed % 1000 };
      items.push(item);
      heap.push(item);
    }
    for (let i = 0; i < 500; i += 3) heap.remove(items[i] as Item);
    for (let i = 1; i < 500; i += 5) {
      const item = items[i] as Item;
      if (item.heapIndex >= 0) {
        item.at = (item.at * 7) % 1001;
        heap.update(item);
      }
    }
    const expected = items.filter((item) => item.heapIndex >= 0).map((item) => item.at);
    expected.sort((a, b) => a - b);
    const popped: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item.at);
    expect(popped).toEqual(expected);
    expect(items.every((item) => item.heapIndex === -1)).toBe(true);
  });

  it("pops one of 10,000 in O(log n) comparisons", () => {
    const { heap, comparisons } = counted();
    for (let i = 0; i < 10_000; i++) heap.push({ heapIndex: -1, at: 10_000 - i });
    const before = comparisons();
    expect(heap.pop()?.at).toBe(1);
    expect(comparisons() - before).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(10_000)) + 2);
  });
});
