// The Hono middleware suite on Bun: the app served by Bun.serve on a free loopback port, requests
// sent over real HTTP, responses cached in the memory backend.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/bun";
import type { Served } from "../../hono/suite";
import { honoSuite } from "../../hono/suite";

type App = { fetch(request: Request): Response | Promise<Response> };
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
const Bun = (globalThis as unknown as { Bun: { serve(options: object): BunServer } }).Bun;

async function serveOnBun(app: App): Promise<Served> {
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request: Request) => app.fetch(request),
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    fetch: (path, init) => fetch(origin + path, init),
    close: async () => {
      await server.stop(true);
    },
  };
}

honoSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: (clock) => lib.memoryBackend({ clock }), serve: serveOnBun },
);
