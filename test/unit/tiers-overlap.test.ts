// Tiers and this process's own overlapping commands: a value read from the tier below while a
// write of the same key is in flight may be from before the write, so it must not be copied into
// the tiers above, where it would outlive the write (until its TTL, or for ever without one).
import { describe, expect, it } from "vitest";
import { type Backend, Cache } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";
import { TieredBackend } from "../../src/core/tiers";

/** A gate the test opens: every call held behind it goes on once `open()` is called. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * A memory backend whose reads read at once but answer only when `reads` opens, and whose
 * `set` and `delete` take effect only when `writes` opens (a slow lower tier, seen from above).
 */
function slowLower(
  reads: Promise<void>,
  writes: Promise<void>,
): { lower: Backend; inner: Backend; readsIssued: () => number } {
  const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
  let issued = 0;
  const lower = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name === "readSlot") return undefined;
      if (name === "getWithExpire")
        return (key: string) => {
          issued++;
          // Read now (value and TTL in one call, as Redis does), answered later.
          const found = Promise.all([target.get(key), target.getExpire(key)]);
          return reads
            .then(() => found)
            .then(([text, ttl]) => (text === undefined ? undefined : { value: text, ttl }));
        };
      if (typeof value !== "function") return value;
      if (name === "get")
        return (key: string) => {
          issued++;
          const found = target.get(key);
          return reads.then(() => found);
        };
      if (name === "set" || name === "delete")
        return (...args: unknown[]) => writes.then(() => value.apply(target, args));
      return value.bind(target);
    },
  });
  return { lower, inner, readsIssued: () => issued };
}

describe("tiers: a read from below that overlaps a write of its key is not copied up", () => {
  it("a get overlapping a delete leaves nothing above", async () => {
    const reads = gate();
    const upper = new MemoryBackend({ size: 100 }) as unknown as Backend;
    const { lower, inner, readsIssued } = slowLower(reads.wait, Promise.resolve());
    await inner.set("k", "old");
    const tiers = new TieredBackend([upper, lower]);
    const read = tiers.get("k");
    while (readsIssued() === 0) await Promise.resolve(); // the read below has gone out
    expect(await tiers.delete("k")).toBe(true);
    reads.open();
    expect(await read).toBe("old"); // read before the delete: an answer from before it
    expect(await upper.get("k")).toBeUndefined();
    expect(await tiers.get("k")).toBeUndefined();
  });

  it("a get issued while a delete is still on its way below does not copy the old value up", async () => {
    const writes = gate();
    const upper = new MemoryBackend({ size: 100 }) as unknown as Backend;
    const { lower, inner } = slowLower(Promise.resolve(), writes.wait);
    await inner.set("k", "old");
    const tiers = new TieredBackend([upper, lower]);
    const deleted = tiers.delete("k");
    expect(await tiers.get("k")).toBe("old"); // the delete has not reached the tier below yet
    expect(await upper.get("k")).toBeUndefined();
    writes.open();
    await deleted;
    expect(await tiers.get("k")).toBeUndefined();
  });

  it("set with exist overlapping a later delete or set leaves the tiers above in step with the last tier", async () => {
    const upper = new MemoryBackend({ size: 100 }) as unknown as Backend;
    const last = new MemoryBackend({ size: 100 }) as unknown as Backend;
    const tiers = new TieredBackend([upper, last]);
    await tiers.set("k", "old");
    await Promise.all([tiers.set("k", "new", { exist: true }), tiers.delete("k")]);
    expect(await last.get("k")).toBeUndefined();
    expect(await upper.get("k")).toBeUndefined();

    await tiers.set("p", "old");
    await Promise.all([tiers.set("p", "plain"), tiers.set("p", "new", { exist: true })]);
    expect(await tiers.get("p")).toBe(await last.get("p"));
  });

  it("through a cache over memory + a slow tier, a get and a delete called together leave a miss", async () => {
    const reads = gate();
    const { lower, inner } = slowLower(reads.wait, Promise.resolve());
    await inner.set("k", JSON.stringify("old"));
    const cache = new Cache().setup(
      new TieredBackend([new MemoryBackend({ size: 100 }) as unknown as Backend, lower]),
    );
    const read = cache.get("k", null);
    const deleted = cache.delete("k");
    reads.open();
    await Promise.all([read, deleted]);
    expect(await cache.get("k", "miss")).toBe("miss");
  });
});

describe("tiers: a set the last tier refuses leaves no copy above", () => {
  /** A memory tier whose `set` takes effect only when `writes` opens; `delete` is at once. */
  function slowUpper(writes: Promise<void>): Backend {
    const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
    return new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name === "readSlot") return undefined;
        if (typeof value !== "function") return value;
        if (name === "set") return (...args: unknown[]) => writes.then(() => value.apply(target, args));
        return value.bind(target);
      },
    });
  }

  /** A last tier whose `set` fails: by rejecting, or by throwing before it returns a promise. */
  function failingLast(how: "rejects" | "throws"): Backend {
    const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
    return new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        if (name === "set")
          return () => {
            if (how === "throws") throw new Error("authority down");
            return Promise.reject(new Error("authority down"));
          };
        return value.bind(target);
      },
    });
  }

  for (const how of ["rejects", "throws"] as const) {
    it(`the last tier's set ${how}, while the copy above is still being written`, async () => {
      const writes = gate();
      const upper = slowUpper(writes.wait);
      const tiers = new TieredBackend([upper, failingLast(how)]);
      const set = tiers.set("k", "v");
      // The copy above lands only after the authority has failed.
      setTimeout(writes.open, 10);
      await expect(set).rejects.toThrow("authority down");
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(await upper.get("k")).toBeUndefined();
      expect(await tiers.get("k")).toBeUndefined();
    });
  }

  it("both tiers fail at once: the authority's error is the answer and no rejection goes unobserved", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const upper = failingLast("rejects");
      const tiers = new TieredBackend([upper, failingLast("throws")]);
      await expect(tiers.set("k", "v")).rejects.toThrow("authority down");
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
