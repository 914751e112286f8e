// cacheResponse and unsafe requests (RFC 9111 §4.4): a POST, PUT, PATCH or DELETE that succeeds
// drops the stored responses of its URL, and of the same-origin URLs its answer names.
import type { Context } from "hono";
import { cacheResponse } from "../../src/hono/index";
import { counter, gate, type HonoHarness } from "./harness";

const UNSAFE = ["POST", "PUT", "PATCH", "DELETE"];

export function invalidateTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse invalidation by unsafe requests", () => {
    for (const [method, status] of [
      ["POST", 201],
      ["PUT", 204],
      ["PATCH", 200],
      ["DELETE", 303],
    ] as const) {
      it(`a ${method} answered ${status} drops every vary variant of the URL's stored response, whatever credentials it carries`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        const cached = cacheResponse({ cache, ttl: "1m", vary: ["accept-language"] });
        app.get("/items/1", cached, (c) => c.text(`${c.req.header("accept-language")} ${body.next()}`));
        app.on(UNSAFE, "/items/1", cached, (c) => c.body(null, status));
        app.get("/items/2", cached, (c) => c.text(`other ${body.next()}`));
        const http = await serve();
        const fr = { "accept-language": "fr" };
        const de = { "accept-language": "de" };
        expect(await (await http.fetch("/items/1", { headers: fr })).text()).toBe("fr body #1");
        expect(await (await http.fetch("/items/1", { headers: de })).text()).toBe("de body #2");
        expect(await (await http.fetch("/items/2")).text()).toBe("other body #3");
        expect(await stored()).toHaveLength(3);
        const write = await http.fetch("/items/1", {
          method,
          headers: { authorization: "Bearer alice-token" },
          redirect: "manual",
        });
        expect(write.status).toBe(status);
        await write.text();
        // Gone before the write's answer arrived, not in the background.
        expect(await stored()).toHaveLength(1);
        const after = await http.fetch("/items/1", { headers: fr });
        expect(after.headers.get("x-cache")).toBe("MISS");
        expect(await after.text()).toBe("fr body #4");
        expect(await (await http.fetch("/items/1", { headers: de })).text()).toBe("de body #5");
        const other = await http.fetch("/items/2");
        expect(other.headers.get("x-cache")).toBe("HIT");
      });
    }

    it("an unsafe request answered with an error (4xx, 5xx, a thrown route) or not found keeps the stored response", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      const cached = cacheResponse({ cache, ttl: "1m" });
      app.onError((_error, c) => c.text("failed", 500));
      app.get("/doc", cached, (c) => c.text(body.next()));
      app.put("/doc", cached, (c) => c.text("conflict", 409));
      app.patch("/doc", cached, () => {
        throw new Error("write failed");
      });
      app.delete("/doc", cached, (c) => c.text("unavailable", 503));
      // No POST route: Hono answers 404 after the middleware's next().
      app.post("/doc", cached);
      const http = await serve();
      await (await http.fetch("/doc")).text();
      for (const method of UNSAFE) {
        const res = await http.fetch("/doc", { method });
        expect(res.status).toBeGreaterThanOrEqual(400);
        await res.text();
        const again = await http.fetch("/doc");
        expect([method, again.headers.get("x-cache")]).toEqual([method, "HIT"]);
        await again.text();
      }
      expect(body.count()).toBe(1);
    });

    it("drops the same-origin URLs of the answer's Location and Content-Location too, never another origin's", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const cached = cacheResponse({ cache, ttl: "1m" });
      app.get("/notes/:id", cached, (c) => c.text(`${c.req.path} ${body.next()}`));
      app.post("/notes/:id/move", cached, (c) => {
        const origin = new URL(c.req.url).origin;
        c.header("Content-Location", `${origin}/notes/2?full=1`);
        return c.redirect("../1", 303);
      });
      app.post("/notes/:id/copy", cached, (c) => {
        c.header("Content-Location", "https://elsewhere.example/notes/3");
        return c.redirect("https://elsewhere.example/notes/4", 303);
      });
      const http = await serve();
      for (const path of ["/notes/1", "/notes/2?full=1", "/notes/3", "/notes/4"]) {
        await (await http.fetch(path)).text();
      }
      expect(await stored()).toHaveLength(4);
      await (await http.fetch("/notes/1/copy", { method: "POST", redirect: "manual" })).text();
      expect(await stored()).toHaveLength(4);
      const moved = await http.fetch("/notes/1/move", { method: "POST", redirect: "manual" });
      expect(moved.status).toBe(303);
      await moved.text();
      const left = await stored();
      expect(left).toHaveLength(2);
      expect(left.every((key) => key.endsWith("/notes/3") || key.endsWith("/notes/4"))).toBe(true);
      expect((await http.fetch("/notes/1")).headers.get("x-cache")).toBe("MISS");
      expect((await http.fetch("/notes/3")).headers.get("x-cache")).toBe("HIT");
    });

    it("follows a custom key: a template (params included) and a function given the entry's method", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const byParam = cacheResponse({ cache, ttl: "1m", key: "user:{param.id}" });
      // The function keys by the method it is given, which is GET for the write's invalidation too.
      const byFunction = cacheResponse({
        cache,
        ttl: "1m",
        key: (c: Context, method: string) => `fn:${method}:${c.req.path}`,
      });
      const byPath = cacheResponse({ cache, ttl: "1m", key: "page:{path}" });
      app.get("/users/:id", byParam, (c) => c.text(body.next()));
      app.put("/users/:id", byParam, (c) => c.body(null, 204));
      app.get("/fn", byFunction, (c) => c.text(body.next()));
      app.put("/fn", byFunction, (c) => c.body(null, 204));
      app.get("/pages/:slug", byPath, (c) => c.text(body.next()));
      // Renames a page: its answer names the new URL, whose stored 200 (an earlier page there) is stale.
      app.post("/pages/:slug/rename", byPath, (c) => c.body(null, 201, { Location: "/pages/new" }));
      const http = await serve();
      for (const path of ["/users/7", "/users/8", "/fn", "/pages/new", "/pages/old"]) {
        await (await http.fetch(path)).text();
      }
      expect(await stored()).toEqual([
        "fn:GET:/fn",
        "page:/pages/new",
        "page:/pages/old",
        "user:7",
        "user:8",
      ]);
      await (await http.fetch("/users/7", { method: "PUT" })).text();
      await (await http.fetch("/fn", { method: "PUT" })).text();
      await (await http.fetch("/pages/old/rename", { method: "POST" })).text();
      expect(await stored()).toEqual(["page:/pages/old", "user:8"]);
    });

    it("invalidate: false keeps the stored responses; a method listed in `methods` is served, not a write", async () => {
      const { app, cache, serve, stored } = await h.open();
      const off = cacheResponse({ cache, ttl: "1m", invalidate: false });
      const served = cacheResponse({ cache, ttl: "1m", methods: ["GET", "POST"] });
      app.on(["GET", "PUT"], "/off", off, (c) => c.text("off"));
      app.on(["GET", "POST"], "/search", served, (c) => c.text(`search ${c.req.method}`));
      const http = await serve();
      await (await http.fetch("/off")).text();
      await (await http.fetch("/search")).text();
      await (await http.fetch("/search", { method: "POST" })).text();
      expect(await stored()).toHaveLength(3);
      expect((await http.fetch("/off", { method: "PUT" })).status).toBe(200);
      const again = await http.fetch("/search", { method: "POST" });
      expect(again.headers.get("x-cache")).toBe("HIT");
      expect(await stored()).toHaveLength(3);
    });

    it("a GET still recording when a write lands does not store its older answer afterwards", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      const recorded = gate();
      const cached = cacheResponse({ cache, ttl: "1m" });
      app.get("/slow", cached, (c) => {
        const text = body.next();
        if (text !== "body #1") return c.text(text);
        const stream = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode(text));
            await recorded.wait;
            controller.close();
          },
        });
        return c.body(stream, 200, { "content-type": "text/plain" });
      });
      app.put("/slow", cached, (c) => c.body(null, 204));
      const http = await serve();
      const miss = await http.fetch("/slow");
      expect((await http.fetchNow("/slow", { method: "PUT" })).status).toBe(204);
      recorded.open();
      expect(await miss.text()).toBe("body #1");
      expect(await stored()).toEqual([]);
      expect(await (await http.fetch("/slow")).text()).toBe("body #2");
    });

    it("rejects an invalidate option that is not a boolean with a CacheConfigError", async () => {
      const { cache } = await h.open();
      let error: Error | undefined;
      try {
        cacheResponse({ cache, ttl: "1m", invalidate: "no" as unknown as boolean });
      } catch (thrown) {
        error = thrown as Error;
      }
      expect(error?.name).toBe("CacheConfigError");
      expect(error?.message).toMatch(/`invalidate` must be true or false, got "no": pass invalidate: false/);
    });
  });
}
