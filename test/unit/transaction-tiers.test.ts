// Transactions over tiers and over two routed backends: what a commit, a rollback and a commit
// that fails half-way leave in every tier.
import { describe, expect, it } from "vitest";
import { type Backend, Cache } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";
import { TieredBackend } from "../../src/core/tiers";

function memory(): Backend {
  return new MemoryBackend({ size: 100 }) as unknown as Backend;
}

/** A memory backend whose `set` fails while `down` says so. */
function flaky(down: () => boolean): Backend {
  const inner = memory();
  return new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      if (name === "set" || name === "setMany")
        return (...args: unknown[]) =>
          down() ? Promise.reject(new Error("set lost")) : value.apply(target, args);
      return value.bind(target);
    },
  });
}

describe("transactions over tiers", () => {
  it("a rollback leaves nothing in any tier, nor any lock; a commit lands in both with its TTL", async () => {
    const upper = memory();
    const lower = memory();
    const cache = new Cache().setup(new TieredBackend([upper, lower]));
    await cache.set("n", 5, { ttl: 1000, tags: ["c"] });
    await cache.get("n");
    const seen = await cache.transaction(
      async (tx) => {
        await cache.incr("n", 2);
        await cache.set("k", "v", { ttl: 1000, tags: ["t"] });
        await cache.expire("n", 3_600_000);
        const inside = await cache.getMany(["n", "k"]);
        tx.rollback();
        return inside;
      },
      { mode: "locked" },
    );
    expect(seen).toEqual([7, "v"]);
    expect(await cache.getMany(["n", "k"], "miss")).toEqual([5, "miss"]);
    expect(await upper.get("k")).toBeUndefined();
    expect(await lower.get("k")).toBeUndefined();
    expect(await lower.getExpire("n")).toBeLessThanOrEqual(1000);
    expect(await upper.getExpire("n")).toBeLessThanOrEqual(1000);
    expect(await cache.getKeysCount()).toBe(2); // n and c's index: no lock left
    expect(await cache.deleteTags("t")).toBe(0);
    await cache.transaction(async () => {
      await cache.incr("n", 2);
      await cache.expire("n", 2000);
    });
    expect(await cache.get("n")).toBe(7);
    expect(await upper.getExpire("n")).toBeLessThanOrEqual(2000);
    expect(await lower.getExpire("n")).toBeGreaterThan(1000);
    expect(await cache.deleteTags("c")).toBe(1);
    expect(await upper.get("n")).toBeUndefined();
  });

  it("a function that throws after writes leaves nothing, and its locks are free at once", async () => {
    const cache = new Cache().setup(new TieredBackend([memory(), memory()]));
    await expect(
      cache.transaction(
        async () => {
          await cache.set("a", 1);
          await cache.incr("b");
          throw new Error("boom");
        },
        { mode: "locked" },
      ),
    ).rejects.toThrow("boom");
    expect(await cache.getMany(["a", "b"], "miss")).toEqual(["miss", "miss"]);
    await cache.transaction(() => cache.set("a", 2), { mode: "locked", timeout: "10ms" });
    expect(await cache.get("a")).toBe(2);
  });

  it("a nested transaction that throws inside an outer one that catches it: the outer's choice stands", async () => {
    const cache = new Cache().setup(new TieredBackend([memory(), memory()]));
    await cache.transaction(async () => {
      await cache.set("outer", 1);
      await cache
        .transaction(async () => {
          await cache.set("inner", 1);
          throw new Error("inner");
        })
        .catch(() => undefined);
    });
    expect(await cache.get("outer")).toBe(1);
  });
});

describe("transactions over two routed backends", () => {
  it("a rollback leaves both untouched; a commit writes each key to its own backend", async () => {
    const users = memory();
    const other = memory();
    const cache = new Cache().setup(other).setup(users, { prefix: "user" });
    await cache.transaction(async (tx) => {
      await cache.set("user:1", "u");
      await cache.set("item:1", "i");
      expect(await cache.getMany(["user:1", "item:1"])).toEqual(["u", "i"]);
      tx.rollback();
    });
    expect(await users.count()).toBe(0);
    expect(await other.count()).toBe(0);
    await cache.transaction(async () => {
      await cache.setMany([
        ["user:1", "u"],
        ["item:1", "i"],
      ]);
      expect(await cache.deleteMatch("*:1")).toBe(2);
      await cache.set("user:2", "u2");
    });
    expect(await cache.getMany(["user:1", "item:1", "user:2"], "miss")).toEqual(["miss", "miss", "u2"]);
    expect(await users.get("user:2")).toBeDefined();
    expect(await other.get("user:2")).toBeUndefined();
  });

  it("a commit that fails on one backend throws its error and the other backend's writes stand", async () => {
    let down = false;
    const good = memory();
    const cache = new Cache().setup(good).setup(
      flaky(() => down),
      { prefix: "bad", suppress: false },
    );
    await expect(
      cache.transaction(async () => {
        await cache.set("good:1", 1);
        await cache.set("bad:1", 1);
        down = true;
      }),
    ).rejects.toThrow("set lost");
    down = false;
    expect(await cache.getMany(["good:1", "bad:1"], "miss")).toEqual([1, "miss"]);
  });
});
