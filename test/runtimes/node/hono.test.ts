// The Hono middleware suite on Node: the app served by @hono/node-server on a free loopback port,
// requests sent over real HTTP, responses cached in the memory backend.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/node";
import type { Served } from "../../hono/suite";
import { honoSuite } from "../../hono/suite";

type App = { fetch: (request: Request) => Response | Promise<Response> };

function serveOnNode(app: App): Promise<Served> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
      const origin = `http://127.0.0.1:${info.port}`;
      resolve({
        fetch: (path, init) => fetch(origin + path, init),
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

honoSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: (clock) => lib.memoryBackend({ clock }), serve: serveOnNode },
);
