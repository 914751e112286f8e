// `iterator`'s recording (SPEC 4 and 5): what a later run replays is each chunk as it was when
// it was yielded, whatever the consumer or the generator does with that object afterwards; and
// an iterator dropped without `return()` does not keep its key from being stored for ever.
import { Boom, collect, type StrategyHarness } from "./strategy-harness";

export function iteratorTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("iterator recording", () => {
    t.it("replays each chunk as it was yielded, though the consumer mutated it", async () => {
      const cache = await h.open();
      let runs = 0;
      const rows = cache.iterator({ ttl: "10s" })(async function* rows(_q: string) {
        runs++;
        yield { id: 1, secret: "s1", count: 0, tags: ["a"] };
        yield undefined;
        yield { id: 2, secret: "s2", count: 5, tags: [] as string[] };
      });
      for await (const row of rows("q")) {
        if (row === undefined) continue;
        const mutable = row as { secret?: string; count: number; tags: string[] };
        delete mutable.secret;
        mutable.count++;
        mutable.tags.push("seen");
      }
      const expected = [
        { id: 1, secret: "s1", count: 0, tags: ["a"] },
        undefined,
        { id: 2, secret: "s2", count: 5, tags: [] },
      ];
      t.expect(await collect(rows("q"))).toStrictEqual(expected);
      t.expect(runs).toBe(1);
    });

    t.it("replays each chunk as it was yielded, though the generator reused the object", async () => {
      const cache = await h.open();
      const bytes = cache.iterator({ ttl: "10s" })(async function* bytes(_n: number) {
        const buffer = new Uint8Array(2);
        const row = { n: 0 };
        for (let n = 1; n <= 3; n++) {
          buffer.fill(n);
          row.n = n;
          yield [buffer, row];
        }
      });
      const seen: unknown[] = [];
      for await (const chunk of bytes(3)) {
        const [buffer, row] = chunk as [Uint8Array, { n: number }];
        seen.push([Array.from(buffer), row.n]);
      }
      t.expect(seen).toEqual([
        [[1, 1], 1],
        [[2, 2], 2],
        [[3, 3], 3],
      ]);
      const replayed = (await collect(bytes(3))) as [Uint8Array, { n: number }][];
      t.expect(replayed.map(([buffer, row]) => [Array.from(buffer), row.n])).toEqual(seen);
    });

    t.it(
      "an iterator dropped without return() lets go of its key past the age limit, timers or not",
      async () => {
        const cache = await h.open();
        let runs = 0;
        const feed = cache.iterator({ ttl: "1h", tags: ["feed"] })(async function* feed() {
          runs++;
          yield runs;
          yield 0;
        });
        const dropped = feed()[Symbol.asyncIterator]();
        t.expect(await dropped.next()).toEqual({ value: 1, done: false });
        await cache.deleteTags("feed");
        // Two minutes on the cache's clock, none in real time: the recording's timer cannot fire
        // (Workers drops it anyway once a request ends); the ticket's age alone lets go.
        h.clock.advance(120_001);
        t.expect(await collect(feed())).toEqual([2, 0]);
        t.expect(await collect(feed())).toEqual([2, 0]);
        t.expect(runs).toBe(2);
      },
    );

    t.it("a cached error (withExceptions) is replayed after the chunks the failed run yielded", async () => {
      const cache = await h.open();
      let runs = 0;
      const pages = cache.iterator({ ttl: "10s", condition: h.lib.withExceptions(Boom) })(
        async function* pages() {
          runs++;
          yield { page: 1, rows: ["a", "b"] };
          yield null;
          throw new Boom("page 3 is gone");
        },
      );
      for (let i = 0; i < 3; i++) {
        const seen: unknown[] = [];
        let failed: unknown;
        try {
          for await (const chunk of pages()) seen.push(chunk);
        } catch (error) {
          failed = error;
        }
        t.expect(seen).toEqual([{ page: 1, rows: ["a", "b"] }, null]);
        t.expect(failed).toBeInstanceOf(Boom);
        t.expect((failed as Error).message).toBe("page 3 is gone");
      }
      t.expect(runs).toBe(1);
    });
  });
}
