// How a stored response is kept and replayed: text or bytes, byte for byte, headers set around
// cacheResponse, and etag()'s answers from an entry (the path revalidating clients take).
import { requestId } from "hono/request-id";
import { cacheResponse, etag } from "../../src/hono/index";
import { counter, type HonoHarness } from "./harness";

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

const INVALID_UTF8 = new Uint8Array([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
const WITH_BOM = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("héllo ✓")]);

export function replayTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse replay", () => {
    it("replays every body byte for byte: text is stored as text, invalid UTF-8 and untyped bodies as bytes", async () => {
      const { app, cache, serve, stored } = await h.open();
      const runs = counter();
      const typed = (bytes: Uint8Array) => () => {
        runs.next();
        return new Response(bytes as BodyInit, { headers: { "content-type": "application/octet-stream" } });
      };
      app.get("/binary", cacheResponse({ cache, ttl: "1m", key: "binary" }), typed(INVALID_UTF8));
      app.get("/bom", cacheResponse({ cache, ttl: "1m", key: "bom" }), typed(WITH_BOM));
      app.get("/untyped", cacheResponse({ cache, ttl: "1m", key: "untyped" }), () => {
        runs.next();
        return new Response(new TextEncoder().encode("plain words") as BodyInit);
      });
      const http = await serve();
      const expected: Record<string, Uint8Array> = {
        "/binary": INVALID_UTF8,
        "/bom": WITH_BOM,
        "/untyped": new TextEncoder().encode("plain words"),
      };
      const untypedMiss = await http.fetch("/untyped");
      const missType = untypedMiss.headers.get("content-type");
      await untypedMiss.arrayBuffer();
      for (const [path, bytes] of Object.entries(expected)) {
        for (let i = 0; i < 2; i++) {
          const res = await http.fetch(path);
          expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
        }
      }
      const hit = await http.fetch("/untyped");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      // A text body would gain text/plain on replay: an untyped one stays bytes. (Bun's server
      // types any untyped byte body application/octet-stream on the wire, the replay included.)
      if (missType !== null) expect(hit.headers.get("content-type")).toBe(missType);
      else expect(hit.headers.get("content-type") ?? "").not.toMatch(/^text\//);
      await hit.arrayBuffer();
      expect(runs.count()).toBe(3);
      expect(await stored()).toHaveLength(3);
      const bodyOf = async (key: string) => ((await cache.get(key)) as { body: unknown }).body;
      expect(await bodyOf("bom")).toBe(new TextDecoder("utf-8", { ignoreBOM: true }).decode(WITH_BOM));
      expect((await bodyOf("binary")) instanceof Uint8Array).toBe(true);
      // Whether an untyped Response has a type is the runtime's call (@hono/node-server adds text/plain).
      expect(typeof (await bodyOf("untyped"))).toBe(missType === null ? "object" : "string");
    });

    it("keeps this request's headers set on c.res before cacheResponse (as cors() does) on a hit and its 304", async () => {
      const { app, cache, serve } = await h.open();
      const runs = counter();
      let request = 0;
      app.get(
        "/around",
        async (c, next) => {
          c.res.headers.set("X-Request", String(++request));
          await next();
        },
        etag(),
        cacheResponse({ cache, ttl: "1m" }),
        (c) => c.text(runs.next()),
      );
      const http = await serve();
      await (await http.fetch("/around")).text();
      const hit = await http.fetch("/around");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("x-request")).toBe("2");
      const tag = hit.headers.get("etag") as string;
      expect(tag).toBe(`"${await sha256(new TextEncoder().encode("body #1"))}"`);
      expect(await hit.text()).toBe("body #1");
      const revalidated = await http.fetch("/around", { headers: { "If-None-Match": tag } });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get("x-cache")).toBe("HIT");
      expect(runs.count()).toBe(1);
    });

    it("gives a hit the headers its own request set before cacheResponse through c.header() (requestId()), not the first request's", async () => {
      const { app, cache, serve } = await h.open();
      const runs = counter();
      app.use("/id", requestId());
      app.use("/id", async (c, next) => {
        // Set for some requests only, and a default the route overrides.
        if (c.req.header("x-trace") === "on") c.header("X-Traced", "yes");
        c.header("Cache-Control", "no-store");
        await next();
      });
      app.get("/id", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("Cache-Control", "public, max-age=60");
        c.header("X-Route", "kept");
        return c.text(runs.next());
      });
      const http = await serve();
      const miss = await http.fetch("/id", { headers: { "X-Trace": "on" } });
      expect(miss.headers.get("x-cache")).toBe("MISS");
      expect(miss.headers.get("x-traced")).toBe("yes");
      expect(miss.headers.get("cache-control")).toBe("public, max-age=60");
      const first = miss.headers.get("x-request-id");
      expect(first).toMatch(/^[\w-]{8,}$/);
      expect(await miss.text()).toBe("body #1");
      const hit = await http.fetch("/id");
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
      expect(hit.headers.get("x-request-id")).not.toBe(first);
      expect(hit.headers.get("x-traced")).toBeNull();
      expect(hit.headers.get("cache-control")).toBe("public, max-age=60");
      expect(hit.headers.get("x-route")).toBe("kept");
      expect(await hit.text()).toBe("body #1");
      const given = await http.fetch("/id", {
        headers: { "X-Request-Id": "client-given-3", "X-Trace": "on" },
      });
      expect(given.headers.get("x-cache")).toBe("HIT");
      expect(given.headers.get("x-request-id")).toBe("client-given-3");
      expect(given.headers.get("x-traced")).toBe("yes");
      expect(await given.text()).toBe("body #1");
      expect(runs.count()).toBe(1);
    });

    it("answers a hit's revalidation with 304 and only the caching headers, or the body when the tag differs", async () => {
      const { app, cache, serve } = await h.open();
      app.get("/page", etag(), cacheResponse({ cache, ttl: "1m", vary: ["accept-language"] }), (c) => {
        c.header("Cache-Control", "public, max-age=60");
        c.header("X-Debug", "dropped on 304");
        return c.html("<p>page</p>");
      });
      const http = await serve();
      const tag = `"${await sha256(new TextEncoder().encode("<p>page</p>"))}"`;
      const miss = await http.fetch("/page");
      expect(miss.headers.get("etag")).toBe(tag);
      await miss.text();
      const hit = await http.fetch("/page", { headers: { "If-None-Match": '"other"' } });
      expect(hit.status).toBe(200);
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(hit.headers.get("etag")).toBe(tag);
      expect(hit.headers.get("vary")).toBe("accept-language");
      expect(hit.headers.get("x-debug")).toBe("dropped on 304");
      expect(await hit.text()).toBe("<p>page</p>");
      for (const header of [tag, `W/${tag}`, `"x", ${tag}`, "*"]) {
        const res = await http.fetch("/page", { headers: { "If-None-Match": header } });
        expect(res.status).toBe(304);
        expect(await res.text()).toBe("");
        expect(res.headers.get("etag")).toBe(tag);
        expect(res.headers.get("x-cache")).toBe("HIT");
        expect(res.headers.get("vary")).toBe("accept-language");
        expect(res.headers.get("cache-control")).toBe("public, max-age=60");
        expect(res.headers.get("x-debug")).toBeNull();
        expect(res.headers.get("content-type")).toBeNull();
      }
    });
  });
}
