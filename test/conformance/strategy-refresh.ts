// Strategies that decide when a stored value is recomputed (SPEC 5): `hit`, `early`, `soft`,
// `failover`, and `iterator`'s record-and-replay. Background refreshes are gated where the test
// must prove a caller did not wait for them.
import {
  Boom,
  collect,
  concurrently,
  counted,
  gate,
  inTime,
  rejection,
  type StrategyHarness,
  scenario,
  sleep,
  split,
  until,
  within,
} from "./strategy-harness";

/** A loader whose runs are counted per id; an id in `failing` throws, an id in `gated` waits on its gate from run 2. */
function perId() {
  const runs = new Map<string, number>();
  const failing = new Set<string>();
  const gated = new Map<string, Promise<void>>();
  return {
    failing,
    gated,
    runs: (id: string) => runs.get(id) ?? 0,
    fn: async function load(id: string): Promise<string> {
      const run = (runs.get(id) ?? 0) + 1;
      runs.set(id, run);
      if (run > 1) await gated.get(id);
      if (failing.has(id)) throw new Boom(`${id} failed on run ${run}`);
      return `${id}:${run}`;
    },
  };
}

export function refreshTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("hit, early, soft, failover, iterator", () => {
    t.it("hit({ cacheHits: 3 }): 9 sequential calls compute 3 times", async () => {
      const cache = await h.open();
      const c = counted();
      const load = cache.hit({ ttl: "10s", cacheHits: 3 })(c.fn);
      const seen: unknown[] = [];
      for (let i = 0; i < 9; i++) seen.push(await load("a"));
      t.expect(seen).toEqual(["a:1", "a:1", "a:1", "a:1", "a:2", "a:2", "a:2", "a:2", "a:3"]);
      t.expect(c.runs()).toBe(3);
    });

    t.it("hit({ updateAfter }) refreshes in the background, handed to waitUntil", async () => {
      const cache = await h.open();
      const loader = perId();
      const release = gate();
      loader.gated.set("a", release.promise);
      const load = cache.hit({ ttl: "10s", cacheHits: 100, updateAfter: 2 })(loader.fn);
      const handed: Promise<unknown>[] = [];
      const request = { waitUntil: (promise: Promise<unknown>) => void handed.push(promise) };
      const seen: unknown[] = [];
      for (let i = 0; i < 4; i++) {
        seen.push(
          await within(
            cache.withRequest(request, () => load("a")),
            1_000,
            "a caller waited for the refresh",
          ),
        );
      }
      t.expect(seen).toEqual(["a:1", "a:1", "a:1", "a:1"]);
      await until(() => loader.runs("a") >= 2, "the background refresh started");
      t.expect(loader.runs("a")).toBe(2);
      t.expect(handed.length).toBeGreaterThanOrEqual(1);
      release.open();
      await within(Promise.all(handed), 1_000, "the work handed to waitUntil");
      t.expect(await load("a")).toBe("a:2");
    });

    t.it(
      'early({ ttl: "30s", earlyTtl: "5s" }): past earlyTtl, 10 callers get the old value and one refresh runs',
      async () => {
        const cache = await h.open();
        const loader = perId();
        const release = gate();
        loader.gated.set("x", release.promise);
        // earlyTtl runs on the cache's clock, which the test moves: seconds-long windows and TTLs
        // mean no slow step (a storage round trip on a loaded machine) can cross one by itself, so
        // each check sees exactly the window it was written for.
        const feed = cache.early({ ttl: "30s", earlyTtl: "5s" })(loader.fn);
        t.expect([await feed("x"), await feed("y"), await feed("z")]).toEqual(["x:1", "y:1", "z:1"]);
        h.clock.advance(4_000);
        // Inside the window: served from storage, no refresh.
        t.expect(await feed("z")).toBe("z:1");
        await sleep(20);
        t.expect(loader.runs("z")).toBe(1);
        h.clock.advance(2_000);
        await Promise.all([
          scenario("ten callers", async () => {
            const results = await within(
              concurrently(10, () => feed("x")),
              1_000,
              "callers waited for the refresh",
            );
            const { values, errors } = split(results);
            t.expect(errors).toEqual([]);
            t.expect(values).toEqual(Array.from({ length: 10 }, () => "x:1"));
            await until(() => loader.runs("x") >= 2, "the background refresh started");
            await sleep(20);
            t.expect(loader.runs("x")).toBe(2);
            release.open();
            await until(async () => (await feed("x")) === "x:2", "the refreshed value landed");
            t.expect(loader.runs("x")).toBe(2);
          }),
          scenario("waitUntil", async () => {
            const handed: Promise<unknown>[] = [];
            const request = { waitUntil: (promise: Promise<unknown>) => void handed.push(promise) };
            t.expect(await cache.withRequest(request, () => feed("y"))).toBe("y:1");
            t.expect(handed.length).toBeGreaterThanOrEqual(1);
            await within(Promise.all(handed), 1_000, "the work handed to waitUntil");
            t.expect(await feed("y")).toBe("y:2");
            t.expect(loader.runs("y")).toBe(2);
          }),
        ]);
      },
    );

    t.it(
      "soft: after softTtl a failing recompute returns the stale value until ttl, then throws",
      async () => {
        const cache = await h.open();
        const loader = perId();
        const ttlMs = 400 * (h.target.timeScale ?? 1);
        const softMs = ttlMs / 2;
        const price = cache.soft({ ttl: ttlMs, softTtl: softMs })(loader.fn);
        // softTtl is crossed by moving the cache's clock; ttl ends in real time (the storage's own
        // TTL). A check that needs softTtl or ttl still running counts only when a deadline on the
        // cache's clock (real time plus the move) says the steps before it were fast enough.
        await inTime(
          "soft windows",
          async (n, deadline) => {
            const [a, b] = [`a${n}`, `b${n}`];
            const life = deadline(ttlMs);
            const realStart = Date.now();
            const soft = deadline(softMs);
            const firsts = [await price(a), await price(b)];
            loader.failing.add(a);
            const fresh = await price(a);
            soft.check();
            t.expect(firsts).toEqual([`${a}:1`, `${b}:1`]);
            t.expect(fresh).toBe(`${a}:1`);
            t.expect(loader.runs(a)).toBe(1);
            h.clock.advance(softMs);
            // Past softTtl: a failing recompute serves the stale value, a working one replaces it.
            const stale = await price(a);
            const recomputed = [await price(b), await price(b)];
            const staleAgain = await price(a);
            life.check();
            t.expect([stale, staleAgain]).toEqual([`${a}:1`, `${a}:1`]);
            t.expect(loader.runs(a)).toBe(3);
            t.expect(recomputed).toEqual([`${b}:2`, `${b}:2`]);
            t.expect(loader.runs(b)).toBe(2);
            await sleep(ttlMs + 100 - (Date.now() - realStart));
            t.expect(await rejection(() => price(a))).toBeInstanceOf(Boom);
          },
          { clock: h.clock },
        );
      },
    );

    t.it(
      "failover returns the stored value when the call throws, and rethrows when there is none",
      async () => {
        const cache = await h.open();
        const mode = new Map<string, "range" | "type">();
        let runs = 0;
        const body = async function rates(id: string): Promise<string> {
          runs++;
          const failing = mode.get(id);
          if (failing === "range") throw new RangeError(`${id} down`);
          if (failing === "type") throw new TypeError(`${id} down`);
          return `${id}:${runs}`;
        };
        const any = cache.failover({ ttl: "10s", name: "any" })(body);
        t.expect([await any("a"), await any("a")]).toEqual(["a:1", "a:2"]);
        mode.set("a", "range");
        t.expect(await any("a")).toBe("a:2");
        mode.set("a", "type");
        t.expect(await any("a")).toBe("a:2");
        t.expect(runs).toBe(4);
        mode.set("b", "type");
        t.expect(await rejection(() => any("b"))).toBeInstanceOf(TypeError);
        // Every call is a request: two answered by the function (misses), two by the fallback
        // (hits), and one fallback that found nothing (a miss).
        const stats = any.stats();
        t.expect([stats.requests, stats.hits, stats.misses, stats.loads, stats.loadFailures]).toEqual([
          5, 2, 3, 2, 3,
        ]);

        const onlyRange = cache.failover({ ttl: "10s", name: "onlyRange", exceptions: [RangeError] })(body);
        t.expect(await onlyRange("c")).toBe("c:6");
        mode.set("c", "range");
        t.expect(await onlyRange("c")).toBe("c:6");
        mode.set("c", "type");
        t.expect(await rejection(() => onlyRange("c"))).toBeInstanceOf(TypeError);

        const other = await h.open();
        other.setDefaultFailExceptions(RangeError);
        const byDefault = other.failover({ ttl: "10s", name: "byDefault" })(body);
        mode.delete("d");
        const stored = await byDefault("d");
        mode.set("d", "range");
        t.expect(await byDefault("d")).toBe(stored);
        mode.set("d", "type");
        t.expect(await rejection(() => byDefault("d"))).toBeInstanceOf(TypeError);
      },
    );

    t.it(
      "iterator replays the chunks 0, '', false and null exactly, without re-running the generator",
      async () => {
        const cache = await h.open();
        let runs = 0;
        const chunks = cache.iterator({ ttl: "10s" })(async function* chunks(id: string) {
          runs++;
          yield 0;
          yield "";
          yield false;
          yield null;
          yield `${id}:${runs}`;
        });
        const expected = [0, "", false, null, "a:1"];
        t.expect(await collect(chunks("a"))).toStrictEqual(expected);
        t.expect(await collect(chunks("a"))).toStrictEqual(expected);
        t.expect(runs).toBe(1);
        t.expect(await collect(chunks("b"))).toStrictEqual([0, "", false, null, "b:2"]);
      },
    );

    t.it("iterator streams the first run and never replays a run the consumer left early", async () => {
      const cache = await h.open();
      const release = gate();
      let runs = 0;
      const stream = cache.iterator({ ttl: "10s" })(async function* stream(_id: string) {
        runs++;
        yield 1;
        await release.promise;
        yield 2;
      });
      const iterator = stream("s")[Symbol.asyncIterator]();
      t.expect(await within(iterator.next(), 1_000, "the first chunk")).toEqual({ value: 1, done: false });
      release.open();
      t.expect(await iterator.next()).toEqual({ value: 2, done: false });
      t.expect((await iterator.next()).done).toBe(true);
      t.expect(await collect(stream("s"))).toEqual([1, 2]);
      t.expect(runs).toBe(1);

      const partial = cache.iterator({ ttl: "10s" })(async function* partial() {
        yield "a";
        yield "b";
        yield "c";
      });
      for await (const chunk of partial()) {
        t.expect(chunk).toBe("a");
        break;
      }
      t.expect(await collect(partial())).toEqual(["a", "b", "c"]);
      t.expect(await collect(partial())).toEqual(["a", "b", "c"]);
    });
  });
}
