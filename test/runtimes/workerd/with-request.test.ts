// `cache.withRequest(ctx, fn)` in a plain Worker (`export default { fetch(request, env, ctx) }`, no
// Hono), served through workerd's own fetch dispatch with its real ExecutionContext: the background
// refresh an early (or hit) call starts outlives the response, kept alive by `ctx.waitUntil`, and
// completes; the call never warns that waitUntil refused the work.
import * as workers from "cloudflare:workers";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";
import { type HonoWorkerSlot, installHonoApp } from "./hono-worker";

type Fetcher = { fetch(input: string, init?: RequestInit): Promise<Response> };
const self = (workers as unknown as { exports: { default: Fetcher } }).exports.default;
type ExecutionContextLike = Parameters<HonoWorkerSlot["app"]["fetch"]>[2];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LOAD_MS = 300;
const bases: string[] = [];

afterEach(async () => {
  installHonoApp(undefined);
  vi.restoreAllMocks();
  await Promise.all(
    bases.splice(0).map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()),
  );
});

/** Polls `check` until it holds or `ms` pass; says whether it held. */
async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}

/** A plain Worker answering each request with `call()` inside `cache.withRequest(ctx, …)`. */
function plainWorker(cache: lib.Cache, call: () => Promise<unknown>) {
  return {
    fetch(_request: Request, _env: unknown, ctx: ExecutionContextLike): Promise<Response> {
      return cache.withRequest(ctx, async () => new Response(JSON.stringify(await call())));
    },
  };
}

/** Serves `worker` through workerd's dispatch with the real ExecutionContext; returns a GET. */
function serve(worker: ReturnType<typeof plainWorker>): () => Promise<unknown> {
  installHonoApp({ app: worker, waitUntils: [], realContext: true });
  return async () => (await self.fetch("http://isocache.test/")).json();
}

/** A loader that takes LOAD_MS (a timer, which workerd ends with its request unless waited on). */
function slowLoader() {
  const state = { started: 0, finished: 0 };
  const load = async () => {
    const version = ++state.started;
    await sleep(LOAD_MS);
    state.finished++;
    return version;
  };
  return { state, load };
}

const backends = {
  memory: () => lib.memoryBackend(),
  kv: () => {
    const base = `wr${bases.length}:`;
    bases.push(base);
    return { kv: env.CACHE, base };
  },
};

describe("withRequest in a plain Worker, with workerd's ExecutionContext", () => {
  for (const [name, target] of Object.entries(backends)) {
    it(`${name}: an early refresh outlives the response through ctx.waitUntil and is served next`, async () => {
      const warn = vi.spyOn(console, "warn");
      const cache = new lib.Cache().setup(target() as never, { suppress: false });
      const { state, load } = slowLoader();
      const feed = cache.early({ ttl: "10m", earlyTtl: "100ms" })(load);
      const get = serve(plainWorker(cache, () => feed()));
      expect(await get()).toBe(1); // a miss: loaded in the request
      await sleep(150);
      expect(await get()).toBe(1); // stale: served at once, the refresh started in the background
      // The response went out first (on KV the refresh takes its lock before it loads).
      expect(state.finished).toBe(1);
      expect(await until(() => state.finished === 2), "the background refresh never finished").toBe(true);
      await sleep(50); // its store follows the load
      expect(await get()).toBe(2);
      expect(state.started).toBe(2);
      expect(warn.mock.calls.join("\n")).not.toMatch(/waitUntil|background/);
    });
  }

  it("a hit refresh (updateAfter) outlives the response the same way", async () => {
    const warn = vi.spyOn(console, "warn");
    const cache = new lib.Cache().setup("mem://", { suppress: false });
    const { state, load } = slowLoader();
    const top = cache.hit({ ttl: "10m", cacheHits: 5, updateAfter: 1 })(load);
    const get = serve(plainWorker(cache, () => top()));
    expect(await get()).toBe(1);
    expect(await get()).toBe(1); // hit 1: serves the value and starts the refresh
    expect(state.started).toBe(2);
    expect(await until(() => state.finished === 2), "the background refresh never finished").toBe(true);
    await sleep(50);
    expect(await get()).toBe(2);
    expect(warn.mock.calls.join("\n")).not.toMatch(/waitUntil|background/);
  });
});
