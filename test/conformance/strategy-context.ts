// The request context under the library's own inner steps (SPEC 6, 7): a read a transaction makes
// past itself, or a background refresh, runs in a scope of its own, and that scope must never
// become the one the caller's other commands run in, on any runtime (the browser's context
// fallback, which keeps a scope until its promise settles, included).

import { gate, MISS, type StrategyHarness, until } from "./strategy-harness";

export function contextTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("the library's inner scopes", () => {
    t.it(
      "a transaction's commands stay in it while its reads past it or a background refresh run",
      async () => {
        const cache = await h.open();
        await cache.set("a", 1, { ttl: "1h" });
        const refreshing = gate();
        let runs = 0;
        const feed = cache.early({ ttl: "10s", earlyTtl: "5s", name: "feed" })(async () => {
          runs++;
          if (runs > 1) await refreshing.promise;
          return runs;
        });
        t.expect(await feed()).toBe(1);
        h.clock.advance(6_000);
        const written = ["during-refresh", "alongside-expire", "after-expire", "after-count"];
        const seen = () => Promise.all(written.map(async (key) => [key, await cache.get(key, MISS)]));
        await cache.transaction(async (tx) => {
          t.expect(await feed()).toBe(1); // starts the background refresh, held at the gate
          await cache.set("during-refresh", 1);
          const later = async (key: string) => {
            await null;
            await cache.set(key, 1);
          };
          await Promise.all([cache.getExpire("a"), cache.set("alongside-expire", 1), later("after-expire")]);
          await Promise.all([cache.getKeysCount(), later("after-count")]);
          t.expect(await seen()).toEqual(written.map((key) => [key, 1]));
          tx.rollback();
        });
        t.expect(await seen()).toEqual(written.map((key) => [key, MISS]));
        // Outside any scope, disable() is cache-wide, the refresh still running or not.
        cache.disable();
        await null;
        t.expect(cache.isEnabled()).toBe(false);
        cache.enable();
        refreshing.open();
        await until(async () => (await feed()) === 2, "the background refresh stored");
        t.expect(cache.isEnabled()).toBe(true);
      },
    );
  });
}
