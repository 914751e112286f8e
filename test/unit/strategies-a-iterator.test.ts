// `iterator`'s recording on the memory backend: chunks are kept as they were when yielded, by
// the key's own serializer, in every copy mode.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Cache,
  CacheArgumentError,
  CacheValueError,
  registerType,
  withExceptions,
} from "../../runtimes/node";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

class Money {
  constructor(
    public cents: bigint,
    public currency: string,
  ) {}
}
registerType(
  Money,
  (money) => [String(money.cents), money.currency],
  (data) => new Money(BigInt((data as [string, string])[0]), (data as [string, string])[1]),
  "test.iterator.Money",
);

/** A generator of rows whose consumer (below) spends and redacts them. */
function rowsOf(cache: Cache) {
  return cache.iterator({ ttl: "1m" })(async function* rows() {
    yield { id: 1, secret: "s1", price: new Money(100n, "EUR") };
    yield 0;
    yield { id: 2, secret: "s2", price: new Money(250n, "USD") };
  });
}

async function spendAndRedact(source: AsyncIterable<unknown>): Promise<void> {
  for await (const row of source) {
    if (typeof row !== "object" || row === null) continue;
    const mutable = row as { secret?: string; price: Money };
    delete mutable.secret;
    mutable.price.cents -= 1n;
  }
}

describe("iterator recording", () => {
  for (const copy of [true, false]) {
    it(`replays registered classes as yielded, though the consumer changed them (copy: ${copy})`, async () => {
      const cache = new Cache().setup("mem://?size=100", { copy });
      const rows = rowsOf(cache);
      await spendAndRedact(rows());
      const replayed = (await collect(rows())) as { id: number; secret: string; price: Money }[];
      expect(replayed).toHaveLength(3);
      expect(replayed[0]?.price).toBeInstanceOf(Money);
      expect(replayed[0]).toStrictEqual({ id: 1, secret: "s1", price: new Money(100n, "EUR") });
      expect(replayed[1]).toBe(0);
      expect(replayed[2]).toStrictEqual({ id: 2, secret: "s2", price: new Money(250n, "USD") });
    });
  }

  it("keeps chunks through a custom serializer, as they were when yielded", async () => {
    let encodes = 0;
    const serializer = {
      encode(value: unknown) {
        encodes++;
        return JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? `${item}n` : item));
      },
      decode: (text: string) => JSON.parse(text) as unknown,
    };
    const cache = new Cache().setup("mem://?size=100", { serializer });
    const rows = cache.iterator({ ttl: "1m" })(async function* rows() {
      yield { id: 1, secret: "s1", total: 5n };
    });
    for await (const row of rows()) delete (row as { secret?: string }).secret;
    expect(encodes).toBeGreaterThan(0);
    expect(await collect(rows())).toStrictEqual([{ id: 1, secret: "s1", total: "5n" }]);
  });

  it("still streams a chunk the serializer refuses, then rejects as the store does, and stores nothing", async () => {
    const cache = new Cache();
    const seen: unknown[] = [];
    const hooks = cache.iterator({ ttl: "1m", key: "hooks" })(async function* hooks() {
      yield { name: "a" };
      yield { name: "b", run: () => 1 };
      yield { name: "c" };
    });
    const consume = async () => {
      for await (const hook of hooks()) seen.push((hook as { name: string }).name);
    };
    await expect(consume()).rejects.toBeInstanceOf(CacheValueError);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(await cache.get("hooks")).toBeUndefined();
  });
});

describe("iterator whose consumer stops pulling", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function tagged(cache: Cache) {
    const state = { runs: 0 };
    const feed = cache.iterator({ ttl: "1h", tags: ["feed"] })(async function* feed() {
      state.runs++;
      yield state.runs;
      yield 0;
    });
    return { state, feed };
  }

  it("lets go of the key a minute after an iterator was dropped, so later runs store again", async () => {
    vi.useFakeTimers();
    const cache = new Cache();
    const { state, feed } = tagged(cache);
    const dropped = feed()[Symbol.asyncIterator]();
    expect(await dropped.next()).toEqual({ value: 1, done: false });
    await cache.deleteTags("feed");
    await vi.advanceTimersByTimeAsync(61_000);
    expect(await collect(feed())).toEqual([2, 0]);
    expect(await collect(feed())).toEqual([2, 0]);
    expect(state.runs).toBe(2);
    expect(await cache.get(await feed.key())).toEqual([2, 0]);
  });

  it("stores a run whose consumer pauses under a minute, not one that resumes after it", async () => {
    vi.useFakeTimers();
    const cache = new Cache();
    const { state, feed } = tagged(cache);
    const slow = feed()[Symbol.asyncIterator]();
    expect(await slow.next()).toEqual({ value: 1, done: false });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(await slow.next()).toEqual({ value: 0, done: false });
    await vi.advanceTimersByTimeAsync(59_000);
    expect((await slow.next()).done).toBe(true);
    expect(await cache.get(await feed.key())).toEqual([1, 0]);
    await feed.invalidate();
    const late = feed()[Symbol.asyncIterator]();
    expect(await late.next()).toEqual({ value: 2, done: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await late.next()).toEqual({ value: 0, done: false });
    expect((await late.next()).done).toBe(true);
    expect(await cache.get(await feed.key())).toBeUndefined();
    expect(await collect(feed())).toEqual([3, 0]);
    expect(state.runs).toBe(3);
  });
});

describe("iterator's load time", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is the source's time, not the consumer's: timeCondition and loadTimeMs leave the consumer's pauses out", async () => {
    vi.useFakeTimers();
    const cache = new Cache();
    const make = (name: string, sourceMs: number) =>
      cache.iterator({ ttl: "1m", timeCondition: "1s", name })(async function* rows() {
        for (let row = 0; row < 3; row++) {
          await new Promise((resolve) => setTimeout(resolve, sourceMs));
          yield row;
        }
      });
    const consumeSlowly = async (source: AsyncIterable<unknown>) => {
      for await (const _ of source) await new Promise((resolve) => setTimeout(resolve, 2_000));
    };
    const fast = make("fast", 10);
    const slow = make("slow", 500);
    const runs = Promise.all([consumeSlowly(fast()), consumeSlowly(slow())]);
    await vi.advanceTimersByTimeAsync(10_000);
    await runs;
    expect(fast.stats().loadTimeMs).toBe(30);
    expect(await cache.get(await fast.key())).toBeUndefined();
    expect(slow.stats().loadTimeMs).toBe(1_500);
    expect(await cache.get(await slow.key())).toEqual([0, 1, 2]);
  });
});

describe("iterator over a function that returns no iterable", () => {
  it("rejects the first next() with CacheArgumentError saying what to return, and stores nothing", async () => {
    const cache = new Cache();
    // What plain JavaScript, or a cast, lets through the types.
    const untyped = (fn: () => unknown) => fn as () => Iterable<unknown>;
    const count = cache.iterator({ ttl: "1m", key: "count", name: "count" })(untyped(() => 5));
    const list = cache.iterator({ ttl: "1m", key: "list", name: "list" })(untyped(async () => [1, 2]));
    for (const wrapped of [count, list]) {
      const failed = await collect(wrapped()).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(CacheArgumentError);
      expect(failed).toBeInstanceOf(TypeError);
      expect((failed as Error).message).toMatch(
        /^\[isocache\] \[iterator\((count|list)\)\] the wrapped function returned (number|a promise),.*async function\*/,
      );
    }
    expect(await cache.get("count")).toBeUndefined();
    expect(await cache.get("list")).toBeUndefined();
    const word = cache.iterator({ ttl: "1m", key: "word" })(untyped(() => "ab"));
    expect(await collect(word())).toEqual(["a", "b"]);
  });
});

describe("iterator given an error by its consumer", () => {
  it("neither caches nor counts an error thrown in through throw() (or a yield* that delegates it)", async () => {
    const cache = new Cache();
    let runs = 0;
    let closed = 0;
    const rows = cache.iterator({ ttl: "1m", condition: withExceptions(RangeError) })(async function* rows() {
      runs++;
      try {
        yield 1;
        yield 2;
      } finally {
        closed++;
      }
    });
    async function* paged() {
      yield* rows();
    }
    const outer = paged();
    expect(await outer.next()).toEqual({ value: 1, done: false });
    await expect(outer.throw(new RangeError("the consumer gave up"))).rejects.toThrow("the consumer gave up");
    expect(closed).toBe(1);
    expect(rows.stats()).toMatchObject({ loads: 0, loadFailures: 0 });
    expect(await collect(rows())).toEqual([1, 2]);
    expect(await collect(rows())).toEqual([1, 2]);
    expect(runs).toBe(2);
  });
});

describe("iterator caching its source's error (withExceptions)", () => {
  it("replays the chunks yielded before the error, then rethrows it, without running again", async () => {
    const cache = new Cache();
    let runs = 0;
    const rows = cache.iterator({ ttl: "1m", condition: withExceptions(RangeError) })(async function* rows() {
      runs++;
      yield { id: 1 };
      yield 0;
      throw new RangeError("page 3 is out of range");
    });
    const run = async () => {
      const seen: unknown[] = [];
      try {
        for await (const row of rows()) seen.push(row);
      } catch (error) {
        return { seen, error };
      }
      return { seen, error: undefined };
    };
    const first = await run();
    expect(first.seen).toEqual([{ id: 1 }, 0]);
    expect(first.error).toBeInstanceOf(RangeError);
    for (let i = 0; i < 2; i++) {
      const again = await run();
      expect(again.seen).toEqual([{ id: 1 }, 0]);
      expect(again.error).toBeInstanceOf(RangeError);
      expect((again.error as Error).message).toBe("page 3 is out of range");
    }
    expect(runs).toBe(1);
  });

  it("replays an error stored without chunks (by an earlier version, or thrown before the first chunk)", async () => {
    const cache = new Cache();
    let runs = 0;
    // biome-ignore lint/correctness/useYield: the source fails before its first chunk
    const rows = cache.iterator({ ttl: "1m", condition: withExceptions(RangeError) })(async function* rows() {
      runs++;
      throw new RangeError("no such page");
    });
    await expect(collect(rows())).rejects.toThrow("no such page");
    await expect(collect(rows())).rejects.toBeInstanceOf(RangeError);
    expect(runs).toBe(1);
  });
});
