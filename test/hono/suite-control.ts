// cacheControl(), cacheControlTtl() and cacheDelete(): requests steering the response cache.
import { cacheControl, cacheControlTtl, cacheDelete, cacheResponse } from "../../src/hono/index";
import { counter, eventually, gate, type HonoHarness } from "./harness";

export function controlTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheControl", () => {
    it("no-cache skips the read but stores; no-store skips both", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.use(cacheControl());
      app.get("/n", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
      const http = await serve();
      const none = await http.fetch("/n", { headers: { "Cache-Control": "no-store" } });
      expect(await none.text()).toBe("body #1");
      expect(await stored()).toEqual([]);
      expect(await (await http.fetch("/n")).text()).toBe("body #2");
      expect(await (await http.fetch("/n")).text()).toBe("body #2");
      const fresh = await http.fetch("/n", { headers: { "Cache-Control": "max-stale=5, No-Cache" } });
      expect(fresh.headers.get("x-cache")).toBe("MISS");
      expect(await fresh.text()).toBe("body #3");
      expect(await (await http.fetch("/n")).text()).toBe("body #3");
      expect(await (await http.fetch("/n", { headers: { Pragma: "no-cache" } })).text()).toBe("body #4");
      await (await http.fetch("/n", { headers: { "Cache-Control": "NO-STORE" } })).text();
      expect(await (await http.fetch("/n")).text()).toBe("body #4");
    });

    const refreshes: [string, "cached" | "failover", Record<string, string>][] = [
      ["no-cache", "cached", { "Cache-Control": "no-cache" }],
      ["no-cache", "failover", { "Cache-Control": "no-cache" }],
      ['Clear-Site-Data: "cache"', "cached", { "Clear-Site-Data": '"cache"' }],
    ];
    for (const [asked, strategy, headers] of refreshes) {
      it(`${strategy}: a ${asked} request right after a miss stores its own answer, not the miss's later one`, async () => {
        const { app, cache, serve, settle } = await h.open();
        const body = counter();
        const missEnds = gate();
        const refreshAnswers = gate();
        app.onError((error, c) => c.text(error.message, 500));
        app.use(cacheControl());
        app.get("/late", cacheDelete(), cacheResponse({ cache, ttl: "1m", strategy }), async (c) => {
          const text = body.next();
          if (text === "body #1") {
            // The miss: its body, and so its store, ends only after the refresh began.
            const stream = new ReadableStream<Uint8Array>({
              async start(controller) {
                controller.enqueue(new TextEncoder().encode(text));
                await missEnds.wait;
                controller.close();
              },
            });
            return c.body(stream, 200, { "content-type": "text/plain" });
          }
          if (text === "body #2") await refreshAnswers.wait;
          // failover calls the route on every request: failing now, it answers from the store.
          else if (strategy === "failover") throw new Error("origin down");
          return c.text(text);
        });
        const http = await serve();
        const miss = await http.fetch("/late");
        expect(miss.headers.get("x-cache")).toBe("MISS");
        const refresh = http.fetchNow("/late", { headers });
        expect(await eventually(() => body.count() === 2)).toBe(true);
        missEnds.open();
        expect(await miss.text()).toBe("body #1");
        // The miss's store is done (or dropped) before the refresh answers.
        await settle();
        refreshAnswers.open();
        const fresh = await refresh;
        expect(fresh.headers.get("x-cache")).toBe("MISS");
        expect(await fresh.text()).toBe("body #2");
        const after = await http.fetch("/late");
        expect(after.status).toBe(200);
        expect(after.headers.get("x-cache")).toBe("HIT");
        expect(await after.text()).toBe("body #2");
      });
    }

    it("without cacheControl(), request directives are ignored", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      app.get("/i", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
      const http = await serve();
      await http.fetch("/i");
      const res = await http.fetch("/i", { headers: { "Cache-Control": "no-cache" } });
      expect(res.headers.get("x-cache")).toBe("HIT");
    });

    it("without cacheControl(), a hit still carries Age (RFC 9111 §4) and the route's own Cache-Control", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      app.get("/aged", cacheResponse({ cache, ttl: "1m" }), (c) =>
        c.text("aged", 200, { "Cache-Control": "public, max-age=30" }),
      );
      const http = await serve();
      const miss = await http.fetch("/aged");
      expect(miss.headers.get("age")).toBeNull();
      await miss.text();
      await settle();
      clock.advance(7_200);
      const hit = await http.fetch("/aged");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("age")).toBe("7");
      expect(hit.headers.get("cache-control")).toBe("public, max-age=30");
    });

    it("responses from the cache carry Age and a max-age of the entry's lifetime (age + seconds left)", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      app.use(cacheControl());
      app.get("/age", cacheResponse({ cache, ttl: "1m" }), (c) =>
        c.text("aged", 200, { "Cache-Control": "public, max-age=600" }),
      );
      const http = await serve();
      const miss = await http.fetch("/age");
      expect(miss.headers.get("age")).toBeNull();
      expect(miss.headers.get("cache-control")).toBe("public, max-age=600");
      // Stored (and stamped) before the clock moves.
      await settle();
      clock.advance(3_400);
      const hit = await http.fetch("/age");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("age")).toBe("3");
      // A client counts max-age minus Age: 59 - 3 leaves the 56 s the entry has left.
      expect(hit.headers.get("cache-control")).toBe("public, max-age=59");
    });

    it("a hit keeps the route's own shorter max-age and s-maxage, so a client keeps it no longer than the route allows", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      app.use(cacheControl());
      app.get("/page", cacheResponse({ cache, ttl: "1h" }), (c) =>
        c.text("page", 200, { "Cache-Control": "max-age=0, must-revalidate" }),
      );
      app.get("/split", cacheResponse({ cache, ttl: "1m" }), (c) =>
        c.text("split", 200, { "Cache-Control": "public, max-age=10, s-maxage=600" }),
      );
      app.get("/bare", cacheResponse({ cache, ttl: "1m" }), (c) => c.text("bare"));
      const http = await serve();
      for (const path of ["/page", "/split", "/bare"]) await (await http.fetch(path)).text();
      await settle();
      clock.advance(3_400);
      const page = await http.fetch("/page");
      expect(page.headers.get("x-cache")).toBe("HIT");
      expect(page.headers.get("cache-control")).toBe("must-revalidate, max-age=0");
      const split = await http.fetch("/split");
      expect(split.headers.get("x-cache")).toBe("HIT");
      expect(split.headers.get("cache-control")).toBe("public, max-age=10, s-maxage=59");
      const bare = await http.fetch("/bare");
      expect(bare.headers.get("x-cache")).toBe("HIT");
      expect(bare.headers.get("age")).toBe("3");
      expect(bare.headers.get("cache-control")).toBe("max-age=59");
    });

    it("max-age=N refuses a stored response older than N seconds, min-fresh=N one expiring within N; the fresh answer is stored", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      app.use(cacheControl());
      app.get("/m", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
      const http = await serve();
      expect(await (await http.fetch("/m")).text()).toBe("body #1");
      await settle();
      clock.advance(10_500);
      // Age 10: max-age=10 still takes it, max-age=9 does not.
      const young = await http.fetch("/m", { headers: { "Cache-Control": "max-age=10" } });
      expect(young.headers.get("x-cache")).toBe("HIT");
      expect(await young.text()).toBe("body #1");
      const old = await http.fetch("/m", { headers: { "Cache-Control": "max-age=9" } });
      expect(old.headers.get("x-cache")).toBe("MISS");
      expect(await old.text()).toBe("body #2");
      await settle();
      const stored = await http.fetch("/m");
      expect(stored.headers.get("x-cache")).toBe("HIT");
      expect(await stored.text()).toBe("body #2");
      clock.advance(30_000);
      // 30 s left: min-fresh=30 takes it, min-fresh=31 does not.
      expect(await (await http.fetch("/m", { headers: { "Cache-Control": "min-fresh=30" } })).text()).toBe(
        "body #2",
      );
      const near = await http.fetch("/m", { headers: { "Cache-Control": "min-fresh=31" } });
      expect(near.headers.get("x-cache")).toBe("MISS");
      expect(await near.text()).toBe("body #3");
      await settle();
      expect(await (await http.fetch("/m")).text()).toBe("body #3");
      expect(body.count()).toBe(3);
    });

    it("early: a max-age refusal past earlyTtl answers a fresh run, and a fresh answer replaces the refused one", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      app.onError((error, c) => c.text(error.message, 500));
      app.use(cacheControl());
      const strategy = { name: "early" as const, earlyTtl: "30s" };
      app.get("/e", cacheResponse({ cache, ttl: "1m", strategy }), (c) => c.text(body.next()));
      const http = await serve();
      expect(await (await http.fetch("/e")).text()).toBe("body #1");
      await settle();
      clock.advance(40_000);
      const old = await http.fetch("/e", { headers: { "Cache-Control": "max-age=5" } });
      expect(old.status).toBe(200);
      expect(old.headers.get("x-cache")).toBe("MISS");
      expect(await old.text()).not.toBe("body #1");
      await settle();
      // The hit past earlyTtl also started early's own background refresh: either fresh answer
      // may be the one stored, never the refused one, and the route ran at most once more for it.
      const after = await http.fetch("/e");
      expect(after.headers.get("x-cache")).toBe("HIT");
      expect(["body #2", "body #3"]).toContain(await after.text());
      expect(body.count()).toBeLessThanOrEqual(3);
    });

    it("failover: a failing route's stored answer is served whatever max-age asks, and the route runs once", async () => {
      const { app, cache, clock, serve, settle } = await h.open();
      const body = counter();
      app.use(cacheControl());
      app.get("/f", cacheResponse({ cache, ttl: "1m", strategy: "failover" }), (c) => {
        const text = body.next();
        if (text !== "body #1") throw new Error("origin down");
        return c.text(text);
      });
      const http = await serve();
      expect(await (await http.fetch("/f")).text()).toBe("body #1");
      await settle();
      clock.advance(20_000);
      const res = await http.fetch("/f", { headers: { "Cache-Control": "max-age=5" } });
      expect(res.headers.get("x-cache")).toBe("HIT");
      expect(await res.text()).toBe("body #1");
      expect(body.count()).toBe(2);
    });

    it("cacheControlTtl refuses a misspelt option with a CacheConfigError", () => {
      const misspelt = { defualt: "5m" } as unknown as Parameters<typeof cacheControlTtl>[0];
      let error: Error | undefined;
      try {
        cacheControlTtl(misspelt);
      } catch (thrown) {
        error = thrown as Error;
      }
      expect(error?.name).toBe("CacheConfigError");
      expect(error?.message).toMatch(
        /cacheControlTtl has no option `defualt`: did you mean `default`\? cacheControlTtl takes default/,
      );
    });

    it("cacheControlTtl: max-age=N caps the stored TTL at N seconds, however it is written", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.use(cacheControl());
      app.get("/t", cacheResponse({ cache, ttl: cacheControlTtl({ default: "1h" }) }), (c) =>
        c.text(body.next()),
      );
      const http = await serve();
      const cases: [string | undefined, number][] = [
        [undefined, 3_600_000],
        ["max-age=30", 30_000],
        ['no-transform, MAX-AGE="20"', 20_000],
        ["max-age = 10 , no-transform", 10_000],
        ["max-age=99999", 3_600_000],
        ["max-age=abc", 3_600_000],
      ];
      for (const [header, expected] of cases) {
        await cache.clear();
        // no-cache alongside, so each request stores afresh with its own TTL.
        const headers: Record<string, string> = {
          "Cache-Control": header ? `${header}, no-cache` : "no-cache",
        };
        await (await http.fetch("/t", { headers })).text();
        const [key] = await stored();
        const left = await cache.getExpire(key as string);
        expect(left).toBeLessThanOrEqual(expected);
        expect(left).toBeGreaterThan(expected - 5_000);
      }
      await cache.clear();
      await (await http.fetch("/t", { headers: { "Cache-Control": "max-age=0" } })).text();
      expect(await stored()).toEqual([]);
    });
  });

  t.describe("cacheDelete", () => {
    for (const header of ['"cache"', "cache", '"cookies", "cache"', '"storage" , cache', '"*"']) {
      it(`Clear-Site-Data: ${header} recomputes and replaces the route's entries`, async () => {
        const { app, cache, serve } = await h.open();
        const body = counter();
        app.get("/d", cacheDelete(), cacheResponse({ cache, ttl: "1m", vary: ["accept-language"] }), (c) =>
          c.text(`${c.req.header("accept-language")} ${body.next()}`),
        );
        app.get("/other", cacheResponse({ cache, ttl: "1m" }), (c) => c.text("other"));
        const http = await serve();
        const fr = { "accept-language": "fr" };
        const de = { "accept-language": "de" };
        await http.fetch("/d", { headers: fr });
        await http.fetch("/d", { headers: de });
        await http.fetch("/other");
        const cleared = await http.fetch("/d", { headers: { ...fr, "Clear-Site-Data": header } });
        expect(cleared.headers.get("x-cache")).toBe("MISS");
        expect(await cleared.text()).toBe("fr body #3");
        expect(await (await http.fetch("/d", { headers: fr })).text()).toBe("fr body #3");
        // The other variant of the route went too; another route did not.
        expect(await (await http.fetch("/d", { headers: de })).text()).toBe("de body #4");
        expect((await http.fetch("/other")).headers.get("x-cache")).toBe("HIT");
      });
    }

    for (const [header, value] of [
      ["authorization", "Bearer alice-token"],
      ["cookie", "session=alice"],
    ] as const) {
      it(`a Clear-Site-Data: "cache" request with ${header} (which bypasses the cache) still drops the route's entries`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        app.get("/d", cacheDelete(), cacheResponse({ cache, ttl: "1m", vary: ["accept-language"] }), (c) =>
          c.text(`${c.req.header(header) ?? "anonymous"} ${body.next()}`),
        );
        const http = await serve();
        await (await http.fetch("/d", { headers: { "accept-language": "fr" } })).text();
        await (await http.fetch("/d", { headers: { "accept-language": "de" } })).text();
        const logout = await http.fetch("/d", { headers: { [header]: value, "Clear-Site-Data": '"cache"' } });
        expect(logout.headers.get("x-cache")).toBe("MISS");
        expect(await logout.text()).toBe(`${value} body #3`);
        // Its own answer belongs to its credentials: dropped entries, none stored in their place.
        expect(await stored()).toEqual([]);
        expect(await (await http.fetch("/d", { headers: { "accept-language": "fr" } })).text()).toBe(
          "anonymous body #4",
        );
      });
    }

    it('a route answering Clear-Site-Data: "cache" drops its entries (a logout with Authorization too) and is never stored', async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const cached = cacheResponse({ cache, ttl: "1m", vary: ["accept-language"] });
      // No cacheDelete(): the route's own answer says to clear.
      app.on(["GET", "POST"], "/account", cached, (c) => {
        const text = body.next();
        const clear = c.req.header("authorization") !== undefined || c.req.header("accept-language") === "de";
        if (clear) c.header("Clear-Site-Data", '"cache", "cookies"');
        // A refused POST: not a write that invalidates, only the Clear-Site-Data does.
        return c.req.method === "POST" ? c.text(text, 409) : c.text(text);
      });
      app.get("/other", cached, (c) => c.text("other"));
      const http = await serve();
      const fr = { "accept-language": "fr" };
      await (await http.fetch("/account", { headers: fr })).text();
      await (await http.fetch("/other")).text();
      // A miss whose answer clears: the fr entry goes, and this answer is not stored in its place.
      const de = await http.fetch("/account", { headers: { "accept-language": "de" } });
      expect(de.headers.get("clear-site-data")).toBe('"cache", "cookies"');
      await de.text();
      expect(await stored()).toHaveLength(1);
      await (await http.fetch("/account", { headers: fr })).text();
      expect(await stored()).toHaveLength(2);
      // A logout: Authorization bypasses the cache, yet its answer's Clear-Site-Data drops the entries.
      const logout = await http.fetch("/account", {
        headers: { ...fr, authorization: "Bearer alice-token" },
      });
      expect(logout.headers.get("clear-site-data")).toBe('"cache", "cookies"');
      await logout.text();
      expect(await stored()).toHaveLength(1);
      await (await http.fetch("/account", { headers: fr })).text();
      expect(await stored()).toHaveLength(2);
      // And through a method the middleware does not serve, answered with an error.
      const posted = await http.fetch("/account", { method: "POST", headers: { authorization: "Bearer x" } });
      expect(posted.status).toBe(409);
      await posted.text();
      expect(await stored()).toHaveLength(1);
      expect((await http.fetch("/other")).headers.get("x-cache")).toBe("HIT");
    });

    it("never stores an answer carrying any Clear-Site-Data: its replay would clear other clients' data", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/c", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("Clear-Site-Data", '"cookies"');
        return c.text(body.next());
      });
      const http = await serve();
      await (await http.fetch("/c")).text();
      const again = await http.fetch("/c");
      expect(again.headers.get("x-cache")).toBe("MISS");
      expect(await again.text()).toBe("body #2");
      expect(await stored()).toEqual([]);
    });

    it('ignores Clear-Site-Data without "cache"', async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      app.get("/k", cacheDelete(), cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
      const http = await serve();
      await http.fetch("/k");
      const res = await http.fetch("/k", { headers: { "Clear-Site-Data": '"cookies", "cachex"' } });
      expect(res.headers.get("x-cache")).toBe("HIT");
    });
  });
}
