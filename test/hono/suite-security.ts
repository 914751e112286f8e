// cacheResponse security rules: what is never stored, who is never served a cached response.
import { setCookie } from "hono/cookie";
import { cacheResponse } from "../../src/hono/index";
import { counter, type HonoHarness, type SuiteCache } from "./harness";

/**
 * Adds `field` to the headers of the entry stored under `key`, as a version before a rule, or
 * other code writing to the backend, would have left it (an `early`/`soft` record holds the
 * entry under `value`). The key is the entry's tag too, as it is without `vary`.
 */
async function addStoredHeader(cache: SuiteCache, key: string, field: [string, string]): Promise<void> {
  const record = (await cache.get(key)) as
    | { headers: [string, string][] }
    | { value: { headers: [string, string][] } };
  const entry = "value" in record ? record.value : record;
  entry.headers.push(field);
  await cache.set(key, record, { ttl: "1m", tags: [key] });
}

export function securityTests(h: HonoHarness): void {
  const { t } = h;
  const { it, expect } = t;

  t.describe("cacheResponse security", () => {
    it("never stores a response that sets a cookie", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/login", cacheResponse({ cache, ttl: "1m" }), (c) => {
        setCookie(c, "session", "s3cr3t");
        return c.text(body.next());
      });
      const http = await serve();
      const first = await http.fetch("/login");
      expect(first.headers.get("set-cookie")).toMatch(/session=s3cr3t/);
      const second = await http.fetch("/login");
      expect(second.headers.get("x-cache")).toBe("MISS");
      expect(await second.text()).toBe("body #2");
      expect(await stored()).toEqual([]);
    });

    for (const directive of [
      "private",
      "no-store",
      "Private, max-age=60",
      'no-cache="x", NO-STORE',
      "public, no-cache",
    ]) {
      it(`never stores a response with Cache-Control: ${directive}`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        app.get("/p", cacheResponse({ cache, ttl: "1m" }), (c) => {
          c.header("Cache-Control", directive);
          return c.text(body.next());
        });
        const http = await serve();
        await http.fetch("/p");
        expect(await (await http.fetch("/p")).text()).toBe("body #2");
        expect(await stored()).toEqual([]);
      });
    }

    it("never stores a response whose Vary names a header the key does not include", async () => {
      const { app, cache, serve, stored } = await h.open();
      app.get("/v", cacheResponse({ cache, ttl: "1m" }), (c) => {
        c.header("Vary", "Accept-Language");
        return c.text(c.req.header("accept-language") ?? "none");
      });
      const http = await serve();
      await http.fetch("/v", { headers: { "accept-language": "fr" } });
      expect(await (await http.fetch("/v", { headers: { "accept-language": "de" } })).text()).toBe("de");
      expect(await stored()).toEqual([]);
    });

    const refusedFields: [string, [string, string]][] = [
      ["Clear-Site-Data", ["clear-site-data", '"*"']],
      ["Set-Cookie", ["Set-Cookie", "session=alice"]],
      ["Cache-Control: private", ["cache-control", "public, Private, max-age=60"]],
      ["Cache-Control: no-store", ["Cache-Control", "no-store"]],
      ["Cache-Control: no-cache", ["cache-control", 'no-cache="x"']],
      ["Vary naming a header the key does not include", ["vary", "Cookie"]],
    ];
    for (const [label, field] of refusedFields) {
      it(`never replays a stored entry carrying ${label} (left by other code): the route answers and replaces it`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        app.get("/p", cacheResponse({ cache, ttl: "1m" }), (c) => c.text(body.next()));
        const http = await serve();
        expect(await (await http.fetch("/p")).text()).toBe("body #1");
        const [key] = await stored();
        await addStoredHeader(cache, key as string, field);
        const res = await http.fetch("/p");
        expect(res.headers.get("x-cache")).toBe("MISS");
        expect(res.headers.get(field[0])).toBeNull();
        expect(await res.text()).toBe("body #2");
        const again = await http.fetch("/p");
        expect(again.headers.get("x-cache")).toBe("HIT");
        expect(again.headers.get(field[0])).toBeNull();
        expect(await again.text()).toBe("body #2");
      });
    }

    it("drops a stored entry it must not replay even when the route's new answer is not stored either", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      let storable = true;
      app.get("/p", cacheResponse({ cache, ttl: "1m" }), (c) => {
        if (!storable) c.header("Cache-Control", "no-store");
        return c.text(body.next());
      });
      const http = await serve();
      await (await http.fetch("/p")).text();
      const [key] = await stored();
      await addStoredHeader(cache, key as string, ["clear-site-data", '"cache", "cookies"']);
      storable = false;
      const res = await http.fetch("/p");
      expect(res.headers.get("clear-site-data")).toBeNull();
      expect(await res.text()).toBe("body #2");
      expect(await stored()).toEqual([]);
    });

    it("failover: a failing route is answered as it failed rather than from a stored entry it must not replay", async () => {
      const { app, cache, serve, stored } = await h.open();
      let failing = false;
      app.onError((error, c) => c.text(error.message, 500));
      app.get("/f", cacheResponse({ cache, ttl: "1m", strategy: "failover" }), (c) => {
        if (failing) throw new Error("origin down");
        return c.text("ok");
      });
      const http = await serve();
      await (await http.fetch("/f")).text();
      const [key] = await stored();
      await addStoredHeader(cache, key as string, ["clear-site-data", '"*"']);
      failing = true;
      const res = await http.fetch("/f");
      expect(res.status).toBe(500);
      expect(res.headers.get("clear-site-data")).toBeNull();
      expect(await res.text()).toBe("origin down");
      expect(await stored()).toEqual([]);
    });

    for (const strategy of [
      { name: "early", earlyTtl: "10s" } as const,
      { name: "soft", softTtl: "10s" } as const,
    ]) {
      it(`${strategy.name}: a fresh stored entry it must not replay is a miss`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        app.get("/s", cacheResponse({ cache, ttl: "1m", strategy }), (c) => c.text(body.next()));
        const http = await serve();
        await (await http.fetch("/s")).text();
        const [key] = await stored();
        await addStoredHeader(cache, key as string, ["set-cookie", "session=alice"]);
        const res = await http.fetch("/s");
        expect(res.headers.get("x-cache")).toBe("MISS");
        expect(res.headers.get("set-cookie")).toBeNull();
        expect(await res.text()).toBe("body #2");
        expect((await http.fetch("/s")).headers.get("x-cache")).toBe("HIT");
      });
    }

    for (const header of ["authorization", "cookie"] as const) {
      const value = header === "authorization" ? "Bearer alice-token" : "session=alice";
      it(`never serves a cached response to, nor stores one for, a request with ${header} not in vary`, async () => {
        const { app, cache, serve, stored } = await h.open();
        const body = counter();
        app.get("/me", cacheResponse({ cache, ttl: "1m" }), (c) =>
          c.text(`${c.req.header(header) ?? "anonymous"} ${body.next()}`),
        );
        const http = await serve();
        expect(await (await http.fetch("/me")).text()).toBe("anonymous body #1");
        const withCredential = await http.fetch("/me", { headers: { [header]: value } });
        expect(withCredential.headers.get("x-cache")).toBe("MISS");
        expect(await withCredential.text()).toBe(`${value} body #2`);
        const again = await http.fetch("/me", { headers: { [header]: value } });
        expect(await again.text()).toBe(`${value} body #3`);
        expect(await (await http.fetch("/me")).text()).toBe("anonymous body #1");
        expect(await stored()).toHaveLength(1);
      });
    }

    it("with Authorization in vary, users never see each other's body and tokens stay out of keys", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/me", cacheResponse({ cache, ttl: "1m", vary: ["Authorization"] }), (c) =>
        c.text(`${c.req.header("authorization")} ${body.next()}`),
      );
      const http = await serve();
      const alice = { authorization: "Bearer alice-token" };
      const bob = { authorization: "Bearer bob-token" };
      expect(await (await http.fetch("/me", { headers: alice })).text()).toBe("Bearer alice-token body #1");
      expect(await (await http.fetch("/me", { headers: bob })).text()).toBe("Bearer bob-token body #2");
      const aliceAgain = await http.fetch("/me", { headers: alice });
      expect(aliceAgain.headers.get("x-cache")).toBe("HIT");
      expect(await aliceAgain.text()).toBe("Bearer alice-token body #1");
      const bobAgain = await http.fetch("/me", { headers: bob });
      expect(await bobAgain.text()).toBe("Bearer bob-token body #2");
      expect(bobAgain.headers.get("vary")?.toLowerCase()).toContain("authorization");
      const keys = await stored();
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key).not.toMatch(/alice|bob|token|Bearer/i);
        expect(key).toMatch(/:vary:[0-9a-f]{64}$/);
      }
    });

    it("with Cookie in vary, each cookie value gets its own entry", async () => {
      const { app, cache, serve, stored } = await h.open();
      const body = counter();
      app.get("/cart", cacheResponse({ cache, ttl: "1m", vary: ["cookie"] }), (c) =>
        c.text(`${c.req.header("cookie")} ${body.next()}`),
      );
      const http = await serve();
      await http.fetch("/cart", { headers: { cookie: "cart=1" } });
      expect(await (await http.fetch("/cart", { headers: { cookie: "cart=2" } })).text()).toBe(
        "cart=2 body #2",
      );
      expect(await (await http.fetch("/cart", { headers: { cookie: "cart=1" } })).text()).toBe(
        "cart=1 body #1",
      );
      for (const key of await stored()) expect(key).not.toContain("cart=");
    });
  });
}
