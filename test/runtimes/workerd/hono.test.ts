// The Hono middleware suite inside workerd: requests go through `exports.default.fetch` of the
// test worker (workerd's own HTTP dispatch into hono-worker.ts, with a real ExecutionContext whose
// waitUntil receives the background work), responses cached in the memory backend.
import * as workers from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import type { Served } from "../../hono/suite";
import { honoSuite } from "../../hono/suite";
import { type HonoWorkerSlot, installHonoApp } from "./hono-worker";

type Fetcher = { fetch(input: string, init?: RequestInit): Promise<Response> };
const self = (workers as unknown as { exports: { default: Fetcher } }).exports.default;

async function serveInWorkerd(app: HonoWorkerSlot["app"]): Promise<Served> {
  const slot: HonoWorkerSlot = { app, waitUntils: [] };
  installHonoApp(slot);
  return {
    fetch: (path, init) => self.fetch(`http://isocache.test${path}`, init),
    close: async () => installHonoApp(undefined),
    waitUntils: slot.waitUntils,
  };
}

honoSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: (clock) => lib.memoryBackend({ clock }), serve: serveInWorkerd },
);
