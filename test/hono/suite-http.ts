// HTTP semantics around cacheResponse: HEAD requests answered by routes that know HEAD.
import { cacheResponse, etag } from "../../src/hono/index";
import { counter, type HonoHarness, sha256 } from "./harness";

export function httpTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse and HTTP semantics", () => {
    // As @hono/node-server's serveStatic does: HEAD gets the GET's headers and Content-Length, no body.
    const knowsHead = (text: () => string) => (c: import("hono").Context) => {
      const body = text();
      c.header("Content-Type", "text/plain; charset=UTF-8");
      c.header("Content-Length", String(new TextEncoder().encode(body).byteLength));
      return c.req.method === "HEAD" ? c.body(null, 200) : c.body(body, 200);
    };

    it("a HEAD miss answered without a body by a route that knows HEAD leaves no empty GET entry", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/file", cacheResponse({ cache, ttl: "1m" }), knowsHead(body.next));
      const http = await serve();
      const head = await http.fetch("/file", { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(head.headers.get("x-cache")).toBe("MISS");
      expect(await head.text()).toBe("");
      expect(await stored()).toEqual([]);
      const get = await http.fetch("/file");
      expect(get.headers.get("x-cache")).toBe("MISS");
      expect(await get.text()).toBe("body #2");
      // The GET's answer is the entry, which a later HEAD is answered from.
      const again = await http.fetch("/file", { method: "HEAD" });
      expect(again.headers.get("x-cache")).toBe("HIT");
      expect(await again.text()).toBe("");
      const hit = await http.fetch("/file");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(await hit.text()).toBe("body #2");
      expect(body.count()).toBe(2);
    });

    it("a GET that joined a HEAD miss of such a route runs the route and gets its body", async () => {
      const { app, cache, serve } = await h.open();
      const body = counter();
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      app.get("/slow", cacheResponse({ cache, ttl: "1m" }), async (c) => {
        if (body.count() === 0) await held;
        return knowsHead(body.next)(c);
      });
      const http = await serve();
      const head = http.fetchNow("/slow", { method: "HEAD" });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const get = http.fetchNow("/slow");
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      expect(await (await head).text()).toBe("");
      expect(await (await get).text()).toBe("body #2");
    });

    it("etag() gives a HEAD answered without a body no ETag of the empty body, and the GET's tag once cached", async () => {
      const { app, cache, serve } = await h.open();
      app.get(
        "/tagged",
        etag(),
        cacheResponse({ cache, ttl: "1m" }),
        knowsHead(() => "same body"),
      );
      app.get(
        "/fresh",
        etag(),
        knowsHead(() => "same body"),
      );
      const http = await serve();
      const tag = `"${await sha256("same body")}"`;
      for (const path of ["/tagged", "/fresh"]) {
        const head = await http.fetch(path, { method: "HEAD" });
        expect([path, head.status, head.headers.get("etag")]).toEqual([path, 200, null]);
        const get = await http.fetch(path);
        expect([path, get.headers.get("etag"), await get.text()]).toEqual([path, tag, "same body"]);
      }
      const hit = await http.fetch("/tagged", { method: "HEAD" });
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("etag")).toBe(tag);
      const revalidated = await http.fetch("/tagged", { method: "HEAD", headers: { "If-None-Match": tag } });
      expect(revalidated.status).toBe(304);
    });
  });
}
