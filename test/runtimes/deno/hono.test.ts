// The Hono middleware suite on Deno: the app served by Deno.serve on a free loopback port,
// requests sent over real HTTP, responses cached in the memory backend.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import type { Served } from "../../hono/suite";
import { honoSuite } from "../../hono/suite";

type App = { fetch(request: Request): Response | Promise<Response> };
interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}
type DenoServe = (options: object, handler: (request: Request) => Response | Promise<Response>) => DenoServer;
const Deno = (globalThis as unknown as { Deno: { serve: DenoServe } }).Deno;

async function serveOnDeno(app: App): Promise<Served> {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) =>
    app.fetch(request),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    fetch: (path, init) => fetch(origin + path, init),
    close: () => server.shutdown(),
  };
}

honoSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: (clock) => lib.memoryBackend({ clock }), serve: serveOnDeno },
);
