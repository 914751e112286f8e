// cacheResponse with each strategy: early (stale while revalidating, in the background through
// waitUntil), soft (stale when the route fails after softTtl), failover (stale while it fails).
import { cacheResponse } from "../../src/hono/index";
import { counter, eventually, type HonoHarness } from "./harness";

export function strategyTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse strategies", () => {
    it("early: after earlyTtl serves the stored response and refreshes it once in the background", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      const handed: Promise<unknown>[] = [];
      // Where the runtime has no ExecutionContext, background work goes to the cache's context waitUntil.
      app.use((_c, next) => cache.withRequest({ waitUntil: (promise) => handed.push(promise) }, next));
      app.get(
        "/feed",
        cacheResponse({ cache, ttl: "1m", strategy: { name: "early", earlyTtl: "10s" } }),
        (c) => c.text(body.next()),
      );
      const http = await serve();
      expect(await (await http.fetch("/feed")).text()).toBe("body #1");
      // Stored (and stamped) before the clock moves. The store went to this test's own waitUntil
      // (the innermost one), which `settle` does not see: wait for it too, or a slow store is
      // stamped after the advance and the next request finds nothing due for a refresh.
      await settle();
      const platform = http.waitUntils;
      const background = () => platform ?? handed;
      await Promise.all(background());
      const handedBefore = background().length;
      clock.advance(15_000);
      const stale = await http.fetch("/feed");
      expect(stale.headers.get("x-cache")).toBe("HIT");
      expect(await stale.text()).toBe("body #1");
      expect(await eventually(() => body.count() === 2)).toBe(true);
      await Promise.all(background());
      // The refresh itself was handed to a waitUntil, not only the first store.
      expect(background().length).toBeGreaterThan(handedBefore);
      const fresh = await http.fetch("/feed");
      expect(fresh.headers.get("x-cache")).toBe("HIT");
      expect(await fresh.text()).toBe("body #2");
      expect(body.count()).toBe(2);
    });

    it("early: the refreshed response carries none of the stale one's headers", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      app.get(
        "/e",
        cacheResponse({ cache, ttl: "1m", strategy: { name: "early", earlyTtl: "10s" } }),
        (c) => {
          const text = body.next();
          c.header("X-Version", text);
          return c.text(text);
        },
      );
      const http = await serve();
      await (await http.fetch("/e")).text();
      // Stored (and stamped) before the clock moves.
      await settle();
      clock.advance(15_000);
      await (await http.fetch("/e")).text();
      expect(await eventually(() => body.count() === 2)).toBe(true);
      let fresh: Response | undefined;
      expect(
        await eventually(async () => {
          fresh = await http.fetch("/e");
          return (await fresh.clone().text()) === "body #2";
        }),
      ).toBe(true);
      expect(fresh?.headers.get("x-version")).toBe("body #2");
      expect(fresh?.headers.get("x-cache")).toBe("HIT");
    });

    it("early: a stale hit is sent as it is while an outer middleware still awaits after next(), and refreshes in the background", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      app.use(async (c, next) => {
        await next();
        // Still running when the background refresh starts and while it renders.
        await new Promise((resolve) => setTimeout(resolve, 50));
        c.header("X-Outer", "seen");
      });
      app.get(
        "/outer",
        cacheResponse({ cache, ttl: "1m", strategy: { name: "early", earlyTtl: "10s" } }),
        async (c) => {
          const text = body.next();
          if (text !== "body #1") await new Promise((resolve) => setTimeout(resolve, 100));
          c.header("X-Version", text);
          return c.text(text);
        },
      );
      const http = await serve();
      expect(await (await http.fetch("/outer")).text()).toBe("body #1");
      // Stored (and stamped) before the clock moves.
      await settle();
      clock.advance(15_000);
      const stale = await http.fetch("/outer");
      expect(stale.status).toBe(200);
      expect(stale.headers.get("x-cache")).toBe("HIT");
      expect(stale.headers.get("x-outer")).toBe("seen");
      expect(stale.headers.get("x-version")).toBe("body #1");
      expect(await stale.text()).toBe("body #1");
      expect(await eventually(() => body.count() === 2)).toBe(true);
      await settle();
      const fresh = await http.fetch("/outer");
      expect(fresh.headers.get("x-cache")).toBe("HIT");
      expect(fresh.headers.get("x-version")).toBe("body #2");
      expect(fresh.headers.get("x-outer")).toBe("seen");
      expect(await fresh.text()).toBe("body #2");
      expect(body.count()).toBe(2);
    });

    for (const clear of ['"cache"', '"*"']) {
      it(`early: a background refresh answered with Clear-Site-Data: ${clear} is not stored and drops the URL's entries`, async () => {
        const { app, cache, clock, serve, settle, stored } = await h.open();
        const body = counter();
        let clearing = false;
        const strategy = { name: "early", earlyTtl: "10s" } as const;
        app.get("/e", cacheResponse({ cache, ttl: "1m", vary: ["accept-language"], strategy }), (c) => {
          if (clearing) c.header("Clear-Site-Data", clear);
          return c.text(body.next());
        });
        const http = await serve();
        const fr = { headers: { "accept-language": "fr" } };
        const de = { headers: { "accept-language": "de" } };
        expect(await (await http.fetch("/e", fr)).text()).toBe("body #1");
        expect(await (await http.fetch("/e", de)).text()).toBe("body #2");
        // Stored (and stamped) before the clock moves.
        expect(await stored()).toHaveLength(2);
        clock.advance(15_000);
        clearing = true;
        const stale = await http.fetch("/e", fr);
        expect(stale.headers.get("x-cache")).toBe("HIT");
        expect(await stale.text()).toBe("body #1");
        expect(await eventually(() => body.count() === 3)).toBe(true);
        await settle();
        // Both variants of the URL went, and the clearing answer took no one's place.
        expect(await stored()).toEqual([]);
        clearing = false;
        const after = await http.fetch("/e", de);
        expect(after.headers.get("x-cache")).toBe("MISS");
        expect(after.headers.get("clear-site-data")).toBeNull();
        expect(await after.text()).toBe("body #4");
      });
    }

    it('early: a background refresh that fails with Clear-Site-Data: "cache" still drops the URL\'s entries', async () => {
      const { app, cache, clock, serve, settle, stored } = await h.open();
      const body = counter();
      let failing = false;
      app.get(
        "/e",
        cacheResponse({ cache, ttl: "1m", strategy: { name: "early", earlyTtl: "10s" } }),
        (c) => {
          const text = body.next();
          if (!failing) return c.text(text);
          c.header("Clear-Site-Data", '"cache"');
          return c.text("down", 503);
        },
      );
      const http = await serve();
      expect(await (await http.fetch("/e")).text()).toBe("body #1");
      expect(await stored()).toHaveLength(1);
      clock.advance(15_000);
      failing = true;
      expect(await (await http.fetch("/e")).text()).toBe("body #1");
      expect(await eventually(() => body.count() === 2)).toBe(true);
      await settle();
      expect(await stored()).toEqual([]);
    });

    for (const name of ["soft", "failover"] as const) {
      it(`${name}: a failing answer with Clear-Site-Data: "cache" is sent as it is and drops the stored response it would fall back on`, async () => {
        const { app, cache, clock, serve, stored } = await h.open();
        const body = counter();
        let failing = false;
        const strategy = name === "soft" ? ({ name, softTtl: "10s" } as const) : name;
        app.get("/s", cacheResponse({ cache, ttl: "1m", strategy }), (c) => {
          const text = body.next();
          if (!failing) return c.text(text);
          c.header("Clear-Site-Data", '"cache"');
          return c.text("down", 503);
        });
        const http = await serve();
        expect(await (await http.fetch("/s")).text()).toBe("body #1");
        expect(await stored()).toHaveLength(1);
        clock.advance(15_000);
        failing = true;
        const cleared = await http.fetch("/s");
        expect(cleared.status).toBe(503);
        expect(cleared.headers.get("x-cache")).toBe("MISS");
        expect(cleared.headers.get("clear-site-data")).toBe('"cache"');
        expect(await cleared.text()).toBe("down");
        expect(await stored()).toEqual([]);
      });
    }

    it("soft: after softTtl a failing route gets the stale response, a working one replaces it", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      let failing = false;
      app.get("/s", cacheResponse({ cache, ttl: "1m", strategy: { name: "soft", softTtl: "10s" } }), (c) =>
        failing ? c.text("down", 503) : c.text(body.next()),
      );
      const http = await serve();
      expect(await (await http.fetch("/s")).text()).toBe("body #1");
      expect((await http.fetch("/s")).headers.get("x-cache")).toBe("HIT");
      // Stored (and stamped) before the clock moves.
      await settle();
      clock.advance(15_000);
      failing = true;
      const stale = await http.fetch("/s");
      expect(stale.status).toBe(200);
      expect(stale.headers.get("x-cache")).toBe("HIT");
      expect(await stale.text()).toBe("body #1");
      failing = false;
      const fresh = await http.fetch("/s");
      expect(fresh.headers.get("x-cache")).toBe("MISS");
      expect(await fresh.text()).toBe("body #2");
      expect(await (await http.fetch("/s")).text()).toBe("body #2");
    });

    it("failover: calls the route each time and answers from the cache while it fails", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      let failing = false;
      app.onError((error, c) => c.text(error.message, 500));
      app.get("/f", cacheResponse({ cache, ttl: "1m", strategy: "failover" }), (c) => {
        if (failing) throw new Error("origin down");
        return c.text(body.next());
      });
      app.get("/never", cacheResponse({ cache, ttl: "1m", strategy: "failover" }), (c) => c.text("no", 502));
      const http = await serve();
      expect(await (await http.fetch("/f")).text()).toBe("body #1");
      const second = await http.fetch("/f");
      expect(second.headers.get("x-cache")).toBe("MISS");
      expect(await second.text()).toBe("body #2");
      failing = true;
      const fallback = await http.fetch("/f");
      expect(fallback.status).toBe(200);
      expect(fallback.headers.get("x-cache")).toBe("HIT");
      expect(await fallback.text()).toBe("body #2");
      const never = await http.fetch("/never");
      expect(never.status).toBe(502);
      expect(never.headers.get("x-cache")).toBe("MISS");
      expect(await never.text()).toBe("no");
    });

    it("a 5xx listed in statuses is an answer: stored, and not a failure failover answers from the cache", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      let busy = false;
      app.get("/busy", cacheResponse({ cache, ttl: "1m", statuses: [200, 503] }), (c) =>
        c.text(body.next(), 503),
      );
      app.get(
        "/rates",
        cacheResponse({ cache, ttl: "1m", strategy: "failover", statuses: [200, 503] }),
        (c) => (busy ? c.text("busy", 503) : c.text("rates")),
      );
      const http = await serve();
      const first = await http.fetch("/busy");
      expect(first.status).toBe(503);
      expect(first.headers.get("x-cache")).toBe("MISS");
      expect(await first.text()).toBe("body #1");
      const again = await http.fetch("/busy");
      expect(again.status).toBe(503);
      expect(again.headers.get("x-cache")).toBe("HIT");
      expect(await again.text()).toBe("body #1");
      expect(body.count()).toBe(1);
      expect(await (await http.fetch("/rates")).text()).toBe("rates");
      busy = true;
      const listed = await http.fetch("/rates");
      expect(listed.status).toBe(503);
      expect(listed.headers.get("x-cache")).toBe("MISS");
      expect(await listed.text()).toBe("busy");
    });

    it("cached: a failing route is answered as it failed and nothing is stored", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      app.get("/x", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next(), 500));
      const http = await serve();
      const first = await http.fetch("/x");
      expect(first.status).toBe(500);
      expect(await first.text()).toBe("body #1");
      expect(await (await http.fetch("/x")).text()).toBe("body #2");
    });
  });
}
