// etag(): SHA-256 validators, If-None-Match forms, 304s, streamed bodies, no rehash of cached bodies.
import type { Context } from "hono";
import { cors } from "hono/cors";
import { cacheResponse, etag } from "../../src/hono/index";
import { type HonoHarness, sha256 } from "./harness";

export function etagTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("etag", () => {
    it("sends a strong ETag from the SHA-256 of the body, or a weak one when asked", async () => {
      const { app, serve } = await h.open();
      app.get("/strong", etag(), (c) => c.text("hello"));
      app.get("/weak", etag({ weak: true }), (c) => c.text("hello"));
      app.get("/own", etag(), (c) => c.text("hello", 200, { ETag: '"v1"' }));
      const http = await serve();
      const digest = await sha256("hello");
      expect((await http.fetch("/strong")).headers.get("etag")).toBe(`"${digest}"`);
      expect((await http.fetch("/weak")).headers.get("etag")).toBe(`W/"${digest}"`);
      expect((await http.fetch("/own")).headers.get("etag")).toBe('"v1"');
    });

    it("rejects options that are not { weak?: boolean } with a CacheConfigError saying what to pass", () => {
      const refused = (options: unknown): Error => {
        try {
          etag(options as Parameters<typeof etag>[0]);
        } catch (error) {
          return error as Error;
        }
        throw new Error(`accepted ${JSON.stringify(options)}`);
      };
      const cases: [unknown, RegExp][] = [
        ["weak", /etag options must be an object, got "weak": pass for example \{ weak: true \}/],
        [{ weak: "yes" }, /`weak` must be true or false, got "yes"/],
        [{ wek: true }, /etag has no option `wek`: did you mean `weak`\? etag takes weak/],
        [{ strong: true }, /etag has no option `strong`: remove it; etag takes weak/],
      ];
      for (const [options, message] of cases) {
        const error = refused(options);
        expect(error.name).toBe("CacheConfigError");
        expect(error.message).toMatch(message);
      }
      for (const options of [undefined, {}, { weak: false }, { weak: true }]) {
        expect(typeof etag(options)).toBe("function");
      }
    });

    it("answers 304 with no body for every matching If-None-Match form, keeping the caching headers", async () => {
      const { app, serve } = await h.open();
      app.get("/r", etag(), (c) => {
        c.header("Cache-Control", "public, max-age=60");
        c.header("Vary", "Accept-Language");
        c.header("X-Debug", "dropped on 304");
        return c.text("representation");
      });
      const http = await serve();
      const tag = `"${await sha256("representation")}"`;
      for (const header of [tag, `W/${tag}`, `"other", ${tag}`, ` "a,b" ,  W/${tag} `, "*"]) {
        const res = await http.fetch("/r", { headers: { "If-None-Match": header } });
        expect(res.status).toBe(304);
        expect(await res.text()).toBe("");
        expect(res.headers.get("etag")).toBe(tag);
        expect(res.headers.get("cache-control")).toBe("public, max-age=60");
        expect(res.headers.get("vary")).toBe("Accept-Language");
        expect(res.headers.get("x-debug")).toBeNull();
      }
      for (const header of ['"other"', '"a", "b"', `${tag.slice(0, -2)}"`]) {
        const res = await http.fetch("/r", { headers: { "If-None-Match": header } });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe("representation");
      }
    });

    it("a 304 carries each of Cache-Control, Content-Location, Date, ETag, Expires and Vary the 200 had, fresh or from the cache", async () => {
      const { app, cache, serve } = await h.open();
      const fields: Record<string, string> = {
        "cache-control": "public, max-age=60",
        "content-location": "/doc.en",
        date: "Tue, 01 Jan 2030 00:00:00 GMT",
        expires: "Tue, 01 Jan 2030 00:01:00 GMT",
        vary: "Accept-Encoding",
      };
      const route = (c: Context) => {
        for (const [name, value] of Object.entries(fields)) c.header(name, value);
        return c.text("document");
      };
      app.get("/fresh", etag(), route);
      app.get("/cached", etag(), cacheResponse({ cache, ttl: "1m" }), route);
      const http = await serve();
      const tag = `"${await sha256("document")}"`;
      // The second /cached request revalidates a hit.
      for (const path of ["/fresh", "/cached", "/cached"]) {
        const res = await http.fetch(path, { headers: { "If-None-Match": tag } });
        expect(res.status).toBe(304);
        expect(await res.text()).toBe("");
        expect(res.headers.get("etag")).toBe(tag);
        for (const [name, value] of Object.entries(fields))
          expect([path, name, res.headers.get(name)]).toEqual([path, name, value]);
      }
    });

    it("a cross-origin revalidation's 304 keeps cors()'s Access-Control-* headers and Vary: Origin, wherever cors() is mounted", async () => {
      const { app, cache, serve } = await h.open();
      const policy = { origin: "https://app.example", credentials: true, exposeHeaders: ["ETag"] };
      app.use("/outer/*", cors(policy));
      app.get("/outer/fresh", etag(), (c) => c.text("shared"));
      app.get("/outer/cached", etag(), cacheResponse({ cache, ttl: "1m" }), (c) => c.text("shared"));
      app.get("/inner", etag(), cors(policy), (c) => c.text("shared"));
      const http = await serve();
      const tag = `"${await sha256("shared")}"`;
      const origin = { Origin: "https://app.example" };
      for (const path of ["/outer/fresh", "/outer/cached", "/outer/cached", "/inner"]) {
        const full = await http.fetch(path, { headers: origin });
        expect(full.status).toBe(200);
        expect(full.headers.get("access-control-allow-origin")).toBe("https://app.example");
        await full.text();
        const res = await http.fetch(path, { headers: { ...origin, "If-None-Match": tag } });
        expect(res.status).toBe(304);
        const seen = [
          path,
          ...["allow-origin", "allow-credentials", "expose-headers"].map((name) =>
            res.headers.get(`access-control-${name}`),
          ),
        ];
        expect(seen).toEqual([path, "https://app.example", "true", "ETag"]);
        expect(res.headers.get("vary")).toMatch(/origin/i);
      }
    });

    it("answers 304 when the client echoes a route's own unquoted ETag, fresh or from the cache", async () => {
      const { app, cache, serve } = await h.open();
      app.get("/own", etag(), (c) => c.text("v42 body", 200, { ETag: "v42" }));
      app.get("/cached", etag(), cacheResponse({ cache, ttl: "1m" }), (c) =>
        c.text("v43 body", 200, { ETag: "W/v43" }),
      );
      const http = await serve();
      for (const [path, tag] of [
        ["/own", "v42"],
        ["/cached", "W/v43"],
        ["/cached", "W/v43"],
      ] as const) {
        const first = await http.fetch(path);
        expect(first.headers.get("etag")).toBe(tag);
        await first.text();
        const again = await http.fetch(path, { headers: { "If-None-Match": tag } });
        expect(again.status).toBe(304);
        expect(await again.text()).toBe("");
        const other = await http.fetch(path, { headers: { "If-None-Match": "v4" } });
        expect(other.status).toBe(200);
        await other.text();
      }
    });

    it("hashes a streamed body whole", async () => {
      const { app, serve } = await h.open();
      app.get("/s", etag(), () => {
        const encoder = new TextEncoder();
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            for (const part of ["a", "b", "c"]) {
              controller.enqueue(encoder.encode(part));
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
            controller.close();
          },
        });
        return new Response(stream);
      });
      const http = await serve();
      const res = await http.fetch("/s");
      expect(res.headers.get("etag")).toBe(`"${await sha256("abc")}"`);
      expect(await res.text()).toBe("abc");
    });

    it("takes the ETag of a cached response from its entry, without rehashing the body", async () => {
      const { app, cache, serve, stored } = await h.open();
      app.get("/c", etag(), cacheResponse({ cache, ttl: "1m" }), (c) => c.text("original"));
      const http = await serve();
      const miss = await http.fetch("/c");
      const tag = `"${await sha256("original")}"`;
      expect(miss.headers.get("etag")).toBe(tag);
      expect(await miss.text()).toBe("original");
      // Change the stored body but not its digest: a rehash would give another tag.
      const [key] = await stored();
      const entry = (await cache.get(key as string)) as { body: Uint8Array };
      entry.body = new TextEncoder().encode("tampered");
      await cache.set(key as string, entry, { ttl: "1m" });
      const hit = await http.fetch("/c");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(await hit.text()).toBe("tampered");
      expect(hit.headers.get("etag")).toBe(tag);
      const revalidated = await http.fetch("/c", { headers: { "If-None-Match": tag } });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get("x-cache")).toBe("HIT");
    });

    it("gives a streamed, cached response the digest recorded while it streamed", async () => {
      const { app, cache, serve } = await h.open();
      app.get("/sc", etag(), cacheResponse({ cache, ttl: "1m" }), () => {
        const encoder = new TextEncoder();
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode("one "));
            controller.enqueue(encoder.encode("two"));
            controller.close();
          },
        });
        return new Response(stream);
      });
      const http = await serve();
      const tag = `"${await sha256("one two")}"`;
      const miss = await http.fetch("/sc");
      expect(miss.headers.get("etag")).toBe(tag);
      expect(await miss.text()).toBe("one two");
      const revalidated = await http.fetch("/sc", { headers: { "If-None-Match": tag } });
      expect(revalidated.status).toBe(304);
    });
  });
}
