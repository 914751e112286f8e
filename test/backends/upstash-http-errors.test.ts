// What the Upstash backend says when something other than Upstash answers: a proxy's HTML error
// page (502 from nginx, a plain-text 503 from a CDN), a web page instead of the REST endpoint. A
// loopback HTTP server answers exactly that, with the real client in front of it; the error is a
// CacheBackendError naming the status the page gives, saying the body was not JSON, quoting a
// short excerpt of it, and saying what to do, never the token.
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { upstashUrl } from "../support/upstash-target";

const TOKEN = "secret-token-never-shown-42";
const NGINX_502 =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
  "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

const servers: Server[] = [];
const caches: lib.Cache[] = [];

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A cache on an "Upstash" URL whose every request is answered with `status`, `type` and `body`. */
async function answering(status: number, type: string, body: string, options: lib.SetupOptions = {}) {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(status, { "content-type": type });
      response.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const url = upstashUrl({ url: `http://127.0.0.1:${port}`, token: TOKEN }, "ns:", "&retries=0");
  const cache = new lib.Cache().setup(url, { suppress: false, ...options });
  caches.push(cache);
  return cache;
}

async function failure(done: Promise<unknown>): Promise<Error> {
  const outcome = await done.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(lib.CacheBackendError);
  return outcome as Error;
}

describe("upstash: answers that are not Upstash REST JSON", () => {
  it("a proxy's 502 HTML page names the status, says the body was not JSON, quotes it briefly and says what to do", async () => {
    const cache = await answering(502, "text/html", NGINX_502);
    const error = await failure(cache.get("k"));
    expect(error.message).toMatch(/^\[isocache\] \[upstash\] get was answered HTTP 502 /);
    expect(error.message).toContain("502");
    expect(error.message).toMatch(/HTTP 502 .*in HTML, not Upstash REST JSON/);
    expect(error.message).toContain('"502 Bad Gateway"');
    expect(error.message).toMatch(/: .*retry/);
    expect(error.message).not.toContain("<");
    expect(error.message).not.toContain(TOKEN);
    expect((error as lib.CacheBackendError).code).toBe("E_BACKEND");
  });

  it("a plain-text 503 from a CDN names its status too", async () => {
    const cache = await answering(503, "text/plain", "error code: 503");
    const error = await failure(cache.set("k", 1));
    expect(error.message).toContain("503");
    expect(error.message).toContain('"error code: 503"');
    expect(error.message).toMatch(/in plain text, not Upstash REST JSON/);
  });

  it("a long web page instead of the REST endpoint: a short excerpt, and check the url", async () => {
    const page = `<!doctype html><html><head><title>Welcome to Example Corp</title><style>body{}</style></head><body>${"<p>lorem ipsum dolor</p>".repeat(300)}</body></html>`;
    const cache = await answering(200, "text/html", page);
    const error = await failure(cache.incr("n"));
    expect(error.message).toContain('"Welcome to Example Corp"');
    expect(error.message).toMatch(/got a reply in HTML, not Upstash REST JSON/);
    expect(error.message).toMatch(/check that url .*REST/);
    expect(error.message).not.toContain("lorem");
    expect(error.message.length).toBeLessThan(400);
  });

  it("suppressed, the same error goes to onError and the call is a miss", async () => {
    const errors: lib.CacheError[] = [];
    const cache = await answering(502, "text/html", NGINX_502, {
      suppress: true,
      onError: (error) => void errors.push(error),
    });
    expect(await cache.get("k", "default")).toBe("default");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(lib.CacheBackendError);
    expect(errors[0]?.message).toContain("502");
  });
});
