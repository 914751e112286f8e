// Main worker of the `workers` vitest project (`main` in vitest.config.ts). The plugin loads it
// only when a test calls it through `exports.default.fetch` from "cloudflare:workers", which goes
// through workerd's own fetch dispatch with a real ExecutionContext. It runs in the tests' isolate,
// so a test installs the Hono app to serve in a global slot; every waitUntil it gets is recorded.

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

/** The app a test serves and the promises the app handed to `ctx.waitUntil`. */
export interface HonoWorkerSlot {
  app: { fetch(request: Request, env: unknown, ctx: ExecutionContextLike): Response | Promise<Response> };
  waitUntils: Promise<unknown>[];
  /** Hand the app workerd's ExecutionContext itself, unwrapped (`waitUntils` then stays empty). */
  realContext?: boolean;
}

const SLOT = Symbol.for("isocache.test.hono-worker");

/** Installs `slot` as what the worker serves (`undefined` to serve nothing). */
export function installHonoApp(slot: HonoWorkerSlot | undefined): void {
  (globalThis as Record<symbol, unknown>)[SLOT] = slot;
}

export default {
  fetch(request: Request, env: unknown, ctx: ExecutionContextLike): Response | Promise<Response> {
    const slot = (globalThis as Record<symbol, HonoWorkerSlot | undefined>)[SLOT];
    if (slot === undefined) return new Response("no app installed", { status: 503 });
    if (slot.realContext === true) return slot.app.fetch(request, env, ctx);
    const recorded: ExecutionContextLike = {
      waitUntil(promise) {
        slot.waitUntils.push(promise);
        ctx.waitUntil(promise);
      },
      passThroughOnException: () => ctx.passThroughOnException(),
    };
    return slot.app.fetch(request, env, recorded);
  },
};
