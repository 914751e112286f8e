// `fn.refresh()` executes now and stores "whatever is cached": also whatever is in flight. A load
// of the key that began before the refresh and ends after it must not store its older result over
// the refreshed one, and a caller that comes while the refresh runs shares it instead of the older
// load. Every strategy with a `refresh` is covered, and `getOrSet` on the same key.
import { describe, expect, it } from "vitest";
import { Cache } from "../../runtimes/node";

/** One execution of a controlled function: the test settles it with `finish`. */
interface Run {
  readonly args: unknown[];
  finish(value: string): void;
}

/** A function whose executions wait until the test finishes each one; `runs` lists them in order. */
function controlled() {
  const runs: Run[] = [];
  async function lookup(...args: unknown[]): Promise<string> {
    return new Promise<string>((resolve) => {
      runs.push({ args, finish: resolve });
    });
  }
  return { runs, lookup };
}

/** Lets pending promise callbacks (a memory backend's reads and writes) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

type Wrapped = ((id: string) => Promise<unknown>) & {
  refresh(id: string): Promise<unknown>;
  key(id: string): Promise<string>;
};

const strategies: Array<[string, (cache: Cache, fn: (id: string) => Promise<string>) => Wrapped]> = [
  ["cached", (cache, fn) => cache.cached({ ttl: "1h" })(fn) as Wrapped],
  ["cached with lock: true", (cache, fn) => cache.cached({ ttl: "1h", lock: true })(fn) as Wrapped],
  ["hit", (cache, fn) => cache.hit({ ttl: "1h", cacheHits: 5 })(fn) as Wrapped],
  ["early", (cache, fn) => cache.early({ ttl: "1h", earlyTtl: "30m" })(fn) as Wrapped],
  ["soft", (cache, fn) => cache.soft({ ttl: "1h", softTtl: "30m" })(fn) as Wrapped],
  [
    "cached with an async key function",
    (cache, fn) => cache.cached({ ttl: "1h", key: async (id: string) => `user:${id}` })(fn) as Wrapped,
  ],
];

describe.each(strategies)("%s: refresh() against an older load in flight", (_name, wrap) => {
  it("keeps the refreshed result when the older load ends after the refresh", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = wrap(cache, lookup);
    const older = fn("1");
    await settle();
    expect(runs).toHaveLength(1);
    const refreshed = fn.refresh("1");
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]?.finish("new");
    expect(await refreshed).toBe("new");
    runs[0]?.finish("old");
    expect(await older).toBe("old"); // its own caller still gets what it loaded
    await settle();
    expect(await fn("1")).toBe("new");
    expect(runs).toHaveLength(2);
  });

  it("lets a caller that comes while the refresh runs share the refresh, not the older load", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = wrap(cache, lookup);
    const older = fn("1");
    await settle();
    const refreshed = fn.refresh("1");
    await settle();
    const later = fn("1");
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]?.finish("new");
    expect(await later).toBe("new");
    expect(await refreshed).toBe("new");
    runs[0]?.finish("old");
    await older;
    await settle();
    expect(await fn("1")).toBe("new");
  });

  it("keeps the newer of two overlapping refreshes", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = wrap(cache, lookup);
    const first = fn.refresh("1");
    await settle();
    const second = fn.refresh("1");
    await settle();
    expect(runs).toHaveLength(2);
    runs[1]?.finish("second");
    expect(await second).toBe("second");
    runs[0]?.finish("first");
    expect(await first).toBe("first");
    await settle();
    expect(await fn("1")).toBe("second");
    expect(runs).toHaveLength(2);
  });
});

describe("refresh() against other work on the key", () => {
  it("wins over a getOrSet of the same key that began before it", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = cache.cached({ ttl: "1h" })(lookup) as unknown as Wrapped;
    const key = await fn.key("1");
    let finishOld: (value: string) => void = () => {};
    const older = cache.getOrSet(
      key,
      () =>
        new Promise<string>((resolve) => {
          finishOld = resolve;
        }),
      { ttl: "1h" },
    );
    await settle();
    const refreshed = fn.refresh("1");
    await settle();
    runs[0]?.finish("new");
    expect(await refreshed).toBe("new");
    finishOld("old");
    expect(await older).toBe("old");
    await settle();
    expect(await cache.get(key)).toBe("new");
  });

  it("wins over an iterator run of the same key that began before it", async () => {
    const cache = new Cache();
    const gates: Array<(chunks: string[]) => void> = [];
    const rows = cache.iterator({ ttl: "1h" })(async function* rows(_id: string) {
      const chunks = await new Promise<string[]>((resolve) => gates.push(resolve));
      yield* chunks;
    });
    const collect = async () => {
      const out: string[] = [];
      for await (const row of rows("1")) out.push(row as string);
      return out;
    };
    const older = collect();
    await settle();
    const refreshed = rows.refresh("1");
    await settle();
    expect(gates).toHaveLength(2);
    gates[1]?.(["new"]);
    expect(await refreshed).toEqual(["new"]);
    gates[0]?.(["old", "older"]);
    expect(await older).toEqual(["old", "older"]);
    await settle();
    expect(await collect()).toEqual(["new"]);
    expect(gates).toHaveLength(2);
  });

  it("still loses to an invalidation that comes after it began", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = cache.cached({ ttl: "1h" })(lookup) as unknown as Wrapped & {
      invalidate(id: string): Promise<boolean>;
    };
    const refreshed = fn.refresh("1");
    await settle();
    await fn.invalidate("1");
    runs[0]?.finish("before the invalidation");
    expect(await refreshed).toBe("before the invalidation");
    await settle();
    expect(await cache.get(await fn.key("1"))).toBeUndefined();
  });

  it("inside a transaction that rolls back, leaves the load outside to store", async () => {
    const cache = new Cache();
    const { runs, lookup } = controlled();
    const fn = cache.cached({ ttl: "1h" })(lookup) as unknown as Wrapped;
    const outside = fn("1");
    await settle();
    await expect(
      cache.transaction(async () => {
        const refreshed = fn.refresh("1");
        await settle();
        runs[1]?.finish("in the transaction");
        await refreshed;
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    runs[0]?.finish("outside");
    expect(await outside).toBe("outside");
    await settle();
    expect(await cache.get(await fn.key("1"))).toBe("outside");
  });
});
