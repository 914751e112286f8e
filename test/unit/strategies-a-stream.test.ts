import { describe, expect, it } from "vitest";
import { Cache, CacheConfigError, LockedError, withExceptions } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe("iterator", () => {
  it("streams the first run while recording, then replays every chunk, falsy ones too, without calling", async () => {
    const cache = new Cache();
    const log: string[] = [];
    let calls = 0;
    const chunks = cache.iterator({ ttl: "1m" })(async function* chunks(kind: string) {
      calls++;
      for (const chunk of [kind, 0, "", false, null, undefined, 3]) {
        log.push(`yield ${String(chunk)}`);
        yield chunk;
      }
    });
    for await (const chunk of chunks("x")) log.push(`got ${String(chunk)}`);
    expect(log.slice(0, 4)).toEqual(["yield x", "got x", "yield 0", "got 0"]);
    expect(await cache.get(await chunks.key("x"))).toEqual(["x", 0, "", false, null, undefined, 3]);
    const { result, calls: seen } = await cache.detect(() => collect(chunks("x")));
    expect(result).toEqual(["x", 0, "", false, null, undefined, 3]);
    expect(Object.values(seen).flat()[0]?.name).toBe("iterator");
    expect(calls).toBe(1);
    expect(chunks.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  it("stores nothing when the source throws or the consumer stops early", async () => {
    const cache = new Cache();
    let calls = 0;
    let fail = true;
    const rows = cache.iterator({ ttl: "1m" })(async function* rows() {
      calls++;
      yield 1;
      if (fail) throw new Error("broken stream");
      yield 2;
    });
    await expect(collect(rows())).rejects.toThrow("broken stream");
    fail = false;
    for await (const row of rows()) if (row === 1) break;
    expect(await cache.get(await rows.key())).toBeUndefined();
    expect(await collect(rows())).toEqual([1, 2]);
    expect(await collect(rows())).toEqual([1, 2]);
    expect(calls).toBe(3);
    expect(rows.stats()).toMatchObject({ loadFailures: 1, loads: 1 });
  });

  it("caches an error when a condition says so, and replays sync generators as async ones", async () => {
    const cache = new Cache();
    let calls = 0;
    const failing = cache.iterator({ ttl: "1m", condition: withExceptions(RangeError) })(
      async function* failing() {
        calls++;
        yield* [];
        throw new RangeError("out of range");
      },
    );
    await expect(collect(failing())).rejects.toBeInstanceOf(RangeError);
    await expect(collect(failing())).rejects.toBeInstanceOf(RangeError);
    expect(calls).toBe(1);
    const letters = cache.iterator()(function* letters(word: string) {
      yield* word;
    });
    expect(await collect(letters("ab"))).toEqual(["a", "b"]);
    expect(await cache.get(await letters.key("ab"))).toEqual(["a", "b"]);
  });

  it("passes chunks straight through while disabled, recomputes inside invalidateFurther, refreshes on demand", async () => {
    const cache = new Cache();
    let calls = 0;
    const counter = cache.iterator({ ttl: "1m", key: "counter" })(async function* counter() {
      calls++;
      yield calls;
    });
    expect(await cache.disabling(() => collect(counter()))).toEqual([1]);
    expect(await cache.get("counter")).toBeUndefined();
    expect(await collect(counter())).toEqual([2]);
    expect(await cache.invalidateFurther(() => collect(counter()))).toEqual([3]);
    expect(await collect(counter())).toEqual([3]);
    expect(await counter.refresh()).toEqual([4]);
    expect(await collect(counter())).toEqual([4]);
  });

  it("decorates async generator methods", async () => {
    const cache = new Cache();
    let calls = 0;
    class Repo {
      prefix = "row";
      async *rows(count: number) {
        calls++;
        for (let index = 0; index < count; index++) yield `${this.prefix}${index}`;
      }
    }
    const context = { kind: "method", name: "rows" } as ClassMethodDecoratorContext;
    const rows = cache.iterator({ ttl: "1m" })(Repo.prototype.rows, context);
    Repo.prototype.rows = rows;
    expect(await collect(new Repo().rows(2))).toEqual(["row0", "row1"]);
    expect(await collect(new Repo().rows(2))).toEqual(["row0", "row1"]);
    expect(calls).toBe(1);
    expect(await cache.get(await rows.key.call(new Repo(), 2))).toEqual(["row0", "row1"]);
  });
});

describe("locked", () => {
  function guarded(
    cache: Cache,
    options: { ttl: string; wait?: boolean | string; step?: string },
    ms: number,
  ) {
    const state = { running: 0, most: 0, calls: 0 };
    const charge = cache.locked({ ...options, key: "charge:{order}" })(async function charge(order: string) {
      state.calls++;
      state.running++;
      state.most = Math.max(state.most, state.running);
      await sleep(ms);
      state.running--;
      if (order === "bad") throw new Error("declined");
      return `${order}:${state.calls}`;
    });
    return { state, charge };
  }

  it("with wait: false, one of ten concurrent calls runs and nine get LockedError", async () => {
    const { state, charge } = guarded(new Cache(), { ttl: "5s", wait: false }, 40);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => charge("o1")));
    const rejected = results.filter((result) => result.status === "rejected");
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    expect(rejected).toHaveLength(9);
    for (const result of rejected)
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(LockedError);
    expect(state.calls).toBe(1);
    expect(await charge("o1")).toBe("o1:2"); // released, and nothing was stored
  });

  it("waits by default and runs the calls one at a time; other keys run in parallel", async () => {
    const { state, charge } = guarded(new Cache(), { ttl: "5s", step: "5ms" }, 20);
    const results = await Promise.all([charge("o2"), charge("o2"), charge("o2")]);
    expect([...results].sort()).toEqual(["o2:1", "o2:2", "o2:3"]);
    expect(state.most).toBe(1);
    await Promise.all([charge("o3"), charge("o4")]);
    expect(state.most).toBe(2);
  });

  it("gives up after `wait`, releases the lock when the call throws, and stores nothing", async () => {
    const cache = new Cache();
    const { charge } = guarded(cache, { ttl: "5s", wait: "30ms", step: "10ms" }, 120);
    const first = charge("o5");
    await expect(charge("o5")).rejects.toBeInstanceOf(LockedError);
    await first;
    await expect(charge("bad")).rejects.toThrow("declined");
    expect(await cache.isLocked("__isocache__:lock:charge:bad")).toBe(false);
    expect(await cache.get("charge:o5")).toBeUndefined();
  });

  it("refuses a missing or zero ttl and bad wait options when wrapping", () => {
    const cache = new Cache();
    const fn = async function f() {
      return 1;
    };
    expect(() => cache.locked({})(fn)).toThrow(CacheConfigError);
    expect(() => cache.locked({ ttl: 0 })(fn)).toThrow(CacheConfigError);
    expect(() => cache.locked({ ttl: "1s", wait: "later" })(fn)).toThrow(CacheConfigError);
    expect(() => cache.locked({ ttl: "1s", step: 0 })(fn)).toThrow(CacheConfigError);
  });
});
