// cacheResponse: what is stored, what is replayed, keys, statuses, methods, streaming, c.var.cache.
import { cacheContext, cacheResponse } from "../../src/hono/index";
import { counter, eventually, gate, type HonoHarness } from "./harness";

export function responseTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse", () => {
    it("answers MISS, then HIT with the same status, headers and body without running the route", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      app.get("/a", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("X-Custom", "kept");
        return c.json({ body: body.next() }, 200);
      });
      const http = await serve();
      const first = await http.fetch("/a");
      expect(first.headers.get("x-cache")).toBe("MISS");
      expect(await first.json()).toEqual({ body: "body #1" });
      const second = await http.fetch("/a");
      expect(second.status).toBe(200);
      expect(second.headers.get("x-cache")).toBe("HIT");
      expect(second.headers.get("x-custom")).toBe("kept");
      expect(second.headers.get("content-type")).toMatch(/application\/json/);
      expect(await second.json()).toEqual({ body: "body #1" });
      expect(body.count()).toBe(1);
    });

    it("keys by method and full URL: another query string is another entry", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/q", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
      const http = await serve();
      expect(await (await http.fetch("/q?page=1")).text()).toBe("body #1");
      expect(await (await http.fetch("/q?page=2")).text()).toBe("body #2");
      expect(await (await http.fetch("/q?page=1")).text()).toBe("body #1");
      const keys = await stored();
      expect(keys).toHaveLength(2);
      expect(keys.every((key) => key.startsWith("hono:GET:http"))).toBe(true);
    });

    it("answers HEAD like GET: a HEAD after a GET is a HIT without the route, a HEAD miss fills the GET entry", async () => {
      const { app, cache, serve, stored } = await h.open();
      const first = counter();
      const second = counter();
      app.get("/head-after-get", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("X-Custom", "kept");
        return c.text(first.next());
      });
      app.get("/head-first", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(second.next()));
      const http = await serve();
      expect(await (await http.fetch("/head-after-get")).text()).toBe("body #1");
      const head = await http.fetch("/head-after-get", { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("x-cache")).toBe("HIT");
      expect(head.headers.get("x-custom")).toBe("kept");
      expect(await head.text()).toBe("");
      expect(first.count()).toBe(1);

      const miss = await http.fetch("/head-first", { method: "HEAD" });
      expect(miss.headers.get("x-cache")).toBe("MISS");
      expect(await miss.text()).toBe("");
      const get = await http.fetch("/head-first");
      expect(get.headers.get("x-cache")).toBe("HIT");
      expect(await get.text()).toBe("body #1");
      expect(second.count()).toBe(1);
      const keys = await stored();
      expect(keys).toHaveLength(2);
      expect(keys.every((key) => key.startsWith("hono:GET:"))).toBe(true);
    });

    it("renders a key template over method, path, query and params through the core's keys", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const mw = cacheResponse({ cache, ttl: "1m", key: "item:{param.id}:{query.lang:lower}" });
      app.get("/items/:id", mw, (c) => c.text(`${c.req.param("id")} ${body.next()}`));
      const http = await serve();
      await http.fetch("/items/7?lang=EN");
      const again = await http.fetch("/items/7?lang=en&x=1");
      expect(again.headers.get("x-cache")).toBe("HIT");
      expect(await stored()).toEqual(["item:7:en"]);
      expect(() => cacheResponse({ cache, ttl: "1m", key: "item:{nope}" })).toThrow(/nope/);
    });

    it("keys a repeated query parameter by all its values: ?a=1&a=2 is not ?a=1", async () => {
      const { app, cache, serve, stored } = await h.open();
      app.get("/list", cacheResponse({ cache, ttl: "1m", key: "list:{query}" }), (c) =>
        c.text((c.req.queries("a") ?? []).join("+")),
      );
      app.get("/one", cacheResponse({ cache, ttl: "1m", key: "one:{query.a}" }), (c) =>
        c.text((c.req.queries("a") ?? []).join("+")),
      );
      const http = await serve();
      for (const path of ["/list", "/one"]) {
        expect(await (await http.fetch(`${path}?a=1`)).text()).toBe("1");
        const both = await http.fetch(`${path}?a=1&a=2`);
        expect(both.headers.get("x-cache")).toBe("MISS");
        expect(await both.text()).toBe("1+2");
        expect(await (await http.fetch(`${path}?a=1`)).text()).toBe("1");
      }
      expect(await stored()).toHaveLength(4);
    });

    it("stores only the listed statuses (default 200) and methods (default GET)", async () => {
      const { app, cache, serve } = await h.open();
      const missing = counter();
      const posted = counter();
      app.get("/missing", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(missing.next(), 404));
      app.post("/post", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(posted.next()));
      app.get("/gone", cacheResponse({ cache, ttl: "1m", statuses: [200, 410] }), (c) => c.text("gone", 410));
      const http = await serve();
      for (let i = 0; i < 2; i++) {
        expect((await http.fetch("/missing")).status).toBe(404);
        await http.fetch("/post", { method: "POST" });
        await http.fetch("/gone");
      }
      expect(missing.count()).toBe(2);
      expect(posted.count()).toBe(2);
      // A method the middleware does not serve passes through untouched.
      expect((await http.fetch("/post", { method: "POST" })).headers.get("x-cache")).toBeNull();
      const gone = await http.fetch("/gone");
      expect(gone.status).toBe(410);
      expect(gone.headers.get("x-cache")).toBe("HIT");
    });

    it("replays no hop-by-hop header, no Set-Cookie and no header named in Connection", async () => {
      const { app, cache, serve, stored } = await h.open();
      app.get("/h", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("X-Per-Hop", "secret-hop");
        c.header("X-Kept", "yes");
        c.header("Connection", "x-per-hop");
        c.header("Keep-Alive", "timeout=5");
        return c.text("ok");
      });
      const http = await serve();
      await http.fetch("/h");
      const [key] = await stored();
      const entry = (await cache.get(key as string)) as { headers: [string, string][] };
      const names = entry.headers.map(([name]) => name);
      expect(names).toContain("x-kept");
      for (const name of ["x-per-hop", "connection", "keep-alive", "content-length", "x-cache"]) {
        expect(names).not.toContain(name);
      }
      const hit = await http.fetch("/h");
      expect(hit.headers.get("x-kept")).toBe("yes");
      expect(hit.headers.get("x-per-hop")).toBeNull();
    });

    it("streams the first response to its client while recording it, and replays it whole", async () => {
      const { app, cache, serve } = await h.open();
      const rest = gate();
      let runs = 0;
      app.get("/stream", cacheResponse({ cache, ttl: "1m" }), () => {
        runs++;
        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode("first;"));
            await rest.wait;
            controller.enqueue(encoder.encode(""));
            controller.enqueue(encoder.encode("second;"));
            controller.enqueue(encoder.encode("third"));
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "text/plain" } });
      });
      const http = await serve();
      const first = await http.fetch("/stream");
      expect(first.headers.get("x-cache")).toBe("MISS");
      const reader = (first.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      // The route is still holding the rest back: this chunk can only have come while it streams.
      const chunk = await reader.read();
      expect(decoder.decode(chunk.value)).toBe("first;");
      rest.open();
      let text = decoder.decode(chunk.value, { stream: true });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toBe("first;second;third");
      let hit: Response | undefined;
      for (let i = 0; i < 100 && hit?.headers.get("x-cache") !== "HIT"; i++) {
        await hit?.text();
        hit = await http.fetch("/stream");
      }
      expect(hit?.headers.get("x-cache")).toBe("HIT");
      expect(await hit?.text()).toBe("first;second;third");
      expect(runs).toBe(1);
    });

    it("a streamed body that errors midway fails only its own client: requests that joined it run the route", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const breaks = gate();
      let arrived = 0;
      app.use("/broken", (_c, next) => {
        arrived++;
        return next();
      });
      app.get("/broken", cacheResponse({ cache, ttl: "1m" }), (c) => {
        const text = body.next();
        if (text !== "body #1") return c.text(text);
        const stream = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode("part;"));
            await breaks.wait;
            controller.error(new Error("upstream went away"));
          },
        });
        return c.body(stream, 200, { "content-type": "text/plain" });
      });
      const http = await serve();
      const leader = await http.fetch("/broken");
      expect(leader.headers.get("x-cache")).toBe("MISS");
      const joined = [http.fetchNow("/broken"), http.fetchNow("/broken")];
      // Both reached the middleware; a moment more and they joined the leader's run, which is
      // still recording its body.
      expect(await eventually(() => arrived === 3)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(body.count()).toBe(1);
      breaks.open();
      await leader.text().catch(() => "");
      const answers = await Promise.all(joined);
      expect(answers.map((res) => res.status)).toEqual([200, 200]);
      expect((await Promise.all(answers.map((res) => res.text()))).sort()).toEqual(["body #2", "body #3"]);
      expect(await stored()).toEqual([]);
      const next = await http.fetch("/broken");
      expect(next.headers.get("x-cache")).toBe("MISS");
      expect(await next.text()).toBe("body #4");
      expect(await (await http.fetch("/broken")).text()).toBe("body #4");
    });

    it("concurrent misses of one key run the route once", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      const slow = gate();
      app.get("/c", cacheResponse({ cache, ttl: "1m" }), async (c) => {
        const text = body.next();
        await slow.wait;
        return c.text(text);
      });
      const http = await serve();
      const pending = [http.fetch("/c"), http.fetch("/c"), http.fetch("/c")];
      await new Promise((resolve) => setTimeout(resolve, 100));
      slow.open();
      const texts = await Promise.all(pending.map(async (res) => (await res).text()));
      expect(texts).toEqual(["body #1", "body #1", "body #1"]);
      expect(body.count()).toBe(1);
    });

    it("makes the cache reachable as c.var.cache in the route", async () => {
      const { app, cache, serve } = await h.open();
      app.get("/var", cacheResponse({ cache, ttl: "1m" }), async (c) => {
        await c.var.cache.set("seen", c.var.cache === cache);
        return c.text("ok");
      });
      const http = await serve();
      await http.fetch("/var");
      expect(await cache.get("seen")).toBe(true);
    });

    it("cacheContext gives routes c.var.cache and cacheResponse a cache of its own", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      app.use(cacheContext({ cache }));
      app.get("/ctx", cacheResponse({ ttl: "1m" }), async (c) => {
        await c.var.cache.set("from-route", true);
        return c.text(body.next());
      });
      const http = await serve();
      await (await http.fetch("/ctx")).text();
      const hit = await http.fetch("/ctx");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(await hit.text()).toBe("body #1");
      expect(await cache.get("from-route")).toBe(true);
    });

    it("without a cache anywhere, a request fails with a CacheConfigError saying what to pass", async () => {
      const { app, serve } = await h.open();
      app.onError((error, c) => c.text(`${error.name}: ${error.message}`, 500));
      app.get("/none", cacheResponse({ ttl: "1m" }), (c) => c.text("never"));
      const http = await serve();
      const res = await http.fetch("/none");
      expect(res.status).toBe(500);
      expect(await res.text()).toMatch(
        /^CacheConfigError: \[isocache\] \[hono\] cacheResponse has no cache: pass \{ cache \}/,
      );
    });

    it("rejects bad options when created, naming the problem", async () => {
      const { cache } = await h.open();
      expect(() => cacheResponse({ cache, ttl: "5 parsecs" })).toThrow(/ttl/);
      expect(() => cacheResponse({ cache, ttl: "1m", strategy: { name: "early", earlyTtl: "2m" } })).toThrow(
        /earlyTtl/,
      );
      expect(() => cacheResponse({ cache, ttl: "1m", strategy: "sometimes" as "cached" })).toThrow(
        /strategy/,
      );
      expect(() => cacheResponse({ cache, ttl: "1m", vary: ["*"] })).toThrow(/vary/);
    });

    it("rejects options of the wrong type or name with a CacheConfigError saying what to pass", async () => {
      const { cache } = await h.open();
      const refused = (options: unknown): Error => {
        try {
          cacheResponse(options as Parameters<typeof cacheResponse>[0]);
        } catch (error) {
          return error as Error;
        }
        throw new Error(
          `accepted ${JSON.stringify(options, (key, value) => (key === "cache" ? "cache" : value))}`,
        );
      };
      const cases: [Record<string, unknown>, RegExp][] = [
        [
          { methods: "GET" },
          /`methods` must be a non-empty array of method names, got "GET": pass for example methods: \["GET"\]/,
        ],
        [{ methods: [1] }, /`methods` .*got \[1\]/],
        [{ methods: [] }, /`methods` must be a non-empty array/],
        [
          { statuses: "200" },
          /`statuses` must be a non-empty array of status codes .*got "200": pass for example statuses: \[200, 404\]/,
        ],
        [{ statuses: [200, 2000] }, /`statuses`/],
        [
          { statuses: [200, 206] },
          /`statuses` cannot include 206: a partial response answers one request's Range.*: leave 206 out/,
        ],
        [{ statuses: [304] }, /`statuses` cannot include 304: .*: leave 304 out and mount etag\(\)/],
        [{ vary: [42] }, /`vary` must list request header names, got \[42\]/],
        [{ ttl: 0 }, /`ttl` must be positive, got 0: pass for example \{ ttl: "5m" \}/],
        [
          { status: [200] },
          /cacheResponse has no option `status`: did you mean `statuses`\? cacheResponse takes cache, ttl, key, vary, methods, statuses, strategy, invalidate$/,
        ],
        [{ cache: {} }, /`cache` must be an isocache Cache/],
      ];
      for (const [options, message] of cases) {
        const error = refused({ cache, ttl: "1m", ...options });
        expect(error.name).toBe("CacheConfigError");
        expect(error.message).toMatch(/^\[isocache\] \[hono\] /);
        expect(error.message).toMatch(message);
      }
      expect(refused("5m").message).toMatch(/cacheResponse options must be an object, got "5m"/);
    });

    it("takes vary as one string in the Vary header's form", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/v", cacheResponse({ cache, ttl: "1m", vary: "Accept-Language, accept" }), (c) =>
        c.text(`${c.req.header("accept-language")} ${body.next()}`),
      );
      const http = await serve();
      const fr = { "accept-language": "fr", accept: "text/plain" };
      expect(await (await http.fetch("/v", { headers: fr })).text()).toBe("fr body #1");
      expect(await (await http.fetch("/v", { headers: { ...fr, accept: "text/html" } })).text()).toBe(
        "fr body #2",
      );
      const hit = await http.fetch("/v", { headers: fr });
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("vary")).toBe("accept-language, accept");
      expect(await hit.text()).toBe("fr body #1");
      expect(await stored()).toHaveLength(2);
    });
  });
}
