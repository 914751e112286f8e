// Helpers of the Hono middleware suite: a fresh cache (on the target's storage, with a fake clock)
// and a fresh Hono app served by the runtime under test per call; everything is closed after the
// test. The suite talks to the app only through `served.fetch`, i.e. over the runtime's real HTTP
// path (a loopback server, or workerd's own fetch dispatch).
import { Hono } from "hono";
import type { CacheVariables } from "../../src/hono/index";
import type { StrategyCache } from "../../src/strategies/strategy-cache";
import type { TestApi } from "../conformance/types";

export type { TestApi } from "../conformance/types";

/** The cache type the suite uses: any runtime entry's `Cache`. */
export type SuiteCache = StrategyCache;

/** The app type the suite builds. */
export type SuiteApp = Hono<{ Variables: CacheVariables<SuiteCache> }>;

/** A manually advanced clock, so TTL, Age and early/soft windows are tested without waiting. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

/** An app served by the runtime under test. */
export interface Served {
  /** Sends a request to the served app; `path` is relative to its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
  /**
   * Where the runtime hands Hono an ExecutionContext (workerd): every promise given to its
   * `waitUntil`, in order. Undefined on runtimes without one.
   */
  readonly waitUntils?: readonly Promise<unknown>[];
}

/** What `Fixture.serve` gives a test. */
export interface SuiteServed extends Served {
  /**
   * Sends a request at once, without first waiting for earlier requests' background work: for a
   * request that must arrive while another one's store is still in flight.
   */
  fetchNow(path: string, init?: RequestInit): Promise<Response>;
}

/** The runtime entry under test, as far as the suite uses it. */
export interface HonoSuiteLib {
  readonly Cache: new (options?: { clock?: { now(): number } }) => SuiteCache;
  readonly runtime: string;
}

/** What a runtime's server needs of a Hono app (method syntax: the ctx parameter stays bivariant). */
export interface ServableApp {
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>;
}

/** One storage on one runtime, served by that runtime's HTTP server. */
export interface HonoSuiteTarget {
  /** Backend name shown in test titles. */
  name: string;
  lib: HonoSuiteLib;
  /** A fresh, empty storage for `cache.setup`; backends that can take a clock should use `clock`. */
  create(clock: FakeClock): unknown | Promise<unknown>;
  cleanup?(): Promise<void>;
  /** Serves `app` on a free loopback port (or the runtime's own dispatch) until `close`. */
  serve(app: ServableApp): Promise<Served>;
}

/** What `h.open` gives a test. */
export interface Fixture {
  cache: SuiteCache;
  clock: FakeClock;
  app: SuiteApp;
  /**
   * Starts serving `app` (call after registering routes). Its `fetch` first waits for the
   * background work of earlier requests (stores after a response, early refreshes) to finish,
   * so a test's second request sees what the first one stored, on any storage.
   */
  serve(): Promise<SuiteServed>;
  /** Waits for the background work handed to `waitUntil` so far. */
  settle(): Promise<void>;
  /** Keys of stored responses, after `settle`. */
  stored(): Promise<string[]>;
}

/** Per-suite helpers. */
export interface HonoHarness {
  readonly t: TestApi;
  readonly target: HonoSuiteTarget;
  open(): Promise<Fixture>;
}

export function fakeClock(start = Date.now()): FakeClock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

/** Builds the harness and registers its `afterEach`; call inside the suite's `describe`. */
export function createHonoHarness(t: TestApi, target: HonoSuiteTarget): HonoHarness {
  let servers: Served[] = [];
  let caches: SuiteCache[] = [];
  t.afterEach(async () => {
    const open = servers;
    const used = caches;
    servers = [];
    caches = [];
    await Promise.allSettled(open.map((server) => server.close()));
    await Promise.allSettled(used.map((cache) => cache.close()));
    await target.cleanup?.();
  });
  return {
    t,
    target,
    async open() {
      const clock = fakeClock();
      const cache = new target.lib.Cache({ clock });
      cache.setup((await target.create(clock)) as Parameters<SuiteCache["setup"]>[0]);
      caches.push(cache);
      const app: SuiteApp = new Hono();
      // Background work goes to this waitUntil where the runtime has none of its own (all but workerd).
      const pending: Promise<unknown>[] = [];
      app.use((_c, next) => cache.withRequest({ waitUntil: (promise) => pending.push(promise) }, next));
      let served: Served | undefined;
      // A response the test left unread stands for a client that went away: cancel its body, or
      // workerd, whose tee runs at the pace of the slower branch, would never finish recording it.
      const responses: Response[] = [];
      const dropUnread = async () => {
        const open = responses
          .splice(0)
          .filter((res) => !res.bodyUsed && res.body !== null && !res.body.locked);
        await Promise.allSettled(open.map((res) => res.body?.cancel()));
      };
      const settle = async () => {
        await dropUnread();
        for (let done = 0; done < pending.length + (served?.waitUntils?.length ?? 0); ) {
          const all = [...pending, ...(served?.waitUntils ?? [])];
          await Promise.allSettled(all);
          done = all.length;
        }
      };
      return {
        cache,
        clock,
        app,
        settle,
        stored: async () => {
          await settle();
          return storedKeys(cache);
        },
        async serve() {
          const http = await target.serve(app);
          served = http;
          servers.push(http);
          const send = async (path: string, init?: RequestInit) => {
            const response = await http.fetch(path, init);
            responses.push(response);
            return response;
          };
          return {
            fetch: async (path, init) => {
              await settle();
              return send(path, init);
            },
            fetchNow: send,
            close: () => http.close(),
            get waitUntils() {
              return http.waitUntils;
            },
          };
        },
      };
    },
  };
}

/** A route body that counts its calls and says which call answered: `"<label> #<n>"`. */
export function counter(label = "body"): { count: () => number; next: () => string } {
  let calls = 0;
  return { count: () => calls, next: () => `${label} #${++calls}` };
}

/** Keys of stored responses (everything but the cache's own bookkeeping). */
export async function storedKeys(cache: SuiteCache): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of cache.scan("*")) keys.push(key);
  return keys.sort();
}

/** Polls `check` every 10 ms until it is true or `ms` passed (a wide margin for a loaded machine). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return check();
}

/** Lower-case hex SHA-256 of a UTF-8 text, computed independently of the middleware. */
export async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A gate a route can wait on, opened by the test. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
