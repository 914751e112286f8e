// Faults between the Upstash backend and its server on one runtime entry, caused for real by the
// gateway on a session of its own (other files are untouched): a request that hangs past
// `requestTimeout`, connections dropped without a reply (what `retries` resends), HTTP error
// answers (never resent), replies that are not JSON, a proxy's HTML error page and a wrong token.
// Each runtime's fetch fails in its own way (undici, Bun, Deno, workerd, Chromium's "Failed to
// fetch"); every one must become a CacheBackendError whose message says what to do.
import {
  type Fault,
  freshNamespace,
  type GatewayAddress,
  openSession,
  type RemoteSession,
  upstashUrl,
} from "../support/upstash-target";
import type { CacheLike, IsocacheModule, SetupOptions, TestApi } from "./types";

const TIMEOUT_MS = 300;
/** Slack for timers and round trips on a loaded two-core machine. */
const SLACK_MS = 400;
const TOKEN_SHOWN_NEVER = "definitely-not-the-token-4711";
const NGINX_502 =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n" +
  "<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

/** A failure the gateway answers every request with, and what the error message says of it. */
const FAILURES: [string, Fault, RegExp][] = [
  ["a 500 answer", { kind: "500" }, /failed \(ERR injected failure\)/],
  ["a hanging request", { kind: "hang" }, /timed out after 300 ms/],
  ["a reply that is not JSON", { kind: "garbage" }, /a reply in HTML, not Upstash REST JSON \("not json"\)/],
  [
    "a proxy's 502 HTML page",
    { kind: "reply", status: 502, type: "text/html", body: NGINX_502 },
    /answered HTTP 502 by an error page in HTML, not Upstash REST JSON \("502 Bad Gateway"\): retry later/,
  ],
  [
    "a dropped connection",
    { kind: "reset" },
    /could not reach the database .*: check that the REST URL is reachable/,
  ],
];

/** Settles `done` and returns what it rejected with (undefined when it fulfilled). */
async function rejection(done: Promise<unknown>): Promise<unknown> {
  return done.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function keysOf(scan: AsyncIterable<string>): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of scan) keys.push(key);
  return keys;
}

/** Calls a failing request can break, with what each settles to when suppressed. */
function calls(cache: CacheLike, loads: { count: number }): [string, () => Promise<unknown>, unknown][] {
  return [
    ["get", () => cache.get("k", "default"), "default"],
    ["set", () => cache.set("k", 1, { ttl: "1m" }), false],
    ["getOrSet", () => cache.getOrSet("k", () => ++loads.count), 1],
    ["getMany", () => cache.getMany(["a", "b"], 0), [0, 0]],
    ["delete", () => cache.delete("k"), false],
    ["incr", () => cache.incr("n", 2), 2],
    ["scan", async () => keysOf(cache.scan("*")), []],
  ];
}

/** The fault suite on `lib`'s runtime; `upstash://` must be served there (registered where needed). */
export function upstashFaultSuite(t: TestApi, lib: IsocacheModule, address: GatewayAddress): void {
  const { describe, it, expect, beforeEach, afterEach } = t;
  let session: RemoteSession;
  let caches: CacheLike[] = [];

  /** A cache on a fresh namespace of the session; `extra` adds URL parameters (`&retries=0`). */
  const open = (extra: string, options: SetupOptions, token?: string): CacheLike => {
    const gateway = { url: address.url, token: token ?? session.token };
    const url = upstashUrl(gateway, freshNamespace(`${lib.runtime}-faults`), extra);
    const cache = new lib.Cache().setup(url, options);
    caches.push(cache);
    return cache;
  };

  /** The CacheBackendError `done` rejects with, checked for the house prefix and the token. */
  // The suites' `expect` takes no message: `what` travels in the compared value instead.
  const backendError = async (done: Promise<unknown>, what = ""): Promise<Error> => {
    const error = await rejection(done);
    expect([what, error instanceof lib.CacheBackendError]).toEqual([what, true]);
    const message = (error as Error).message;
    expect(message).toMatch(/^\[isocache\] \[upstash\] /);
    expect([what, message.includes(address.token) || message.includes(session.token)]).toEqual([what, false]);
    return error as Error;
  };

  describe(`upstash faults on ${lib.runtime}`, () => {
    beforeEach(async () => {
      session = await openSession(address);
    });

    afterEach(async () => {
      await session.setFault(undefined);
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
      caches = [];
    });

    requestTimeoutTests();
    retriesTests();
    failureTests();
  });

  function requestTimeoutTests(): void {
    it("requestTimeout: a hung request is aborted after about that long with a CacheBackendError saying so", async () => {
      const cache = open(`&requestTimeout=${TIMEOUT_MS}&retries=0`, { suppress: false });
      await cache.ping(); // load the client before timing
      await session.setFault({ kind: "hang" });
      const started = Date.now();
      const error = await backendError(cache.get("k"));
      const waited = Date.now() - started;
      expect(error.message).toMatch(/got no answer within 300 ms: .*raise requestTimeout/);
      expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(waited).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
      await session.setFault(undefined);
      expect(await cache.set("k", "v")).toBe(true); // the next request gets a deadline of its own
    });

    it("requestTimeout is one deadline for a request and all its resends, not one per attempt", async () => {
      // Five resends after 50, 100, 200, 400 and 800 ms of backoff would take 1550 ms per attempt.
      const cache = open(`&requestTimeout=${TIMEOUT_MS}&retries=5`, { suppress: false });
      await cache.ping();
      await session.reset();
      await session.setFault({ kind: "reset" });
      const started = Date.now();
      const error = await backendError(cache.set("k", 1));
      expect(Date.now() - started).toBeLessThanOrEqual(TIMEOUT_MS + 200 + SLACK_MS);
      expect(error.message).toMatch(/got no answer within 300 ms/);
      const { requests } = await session.stats();
      expect(requests).toBeGreaterThanOrEqual(2);
      expect(requests).toBeLessThan(6);
    });

    it("requestTimeout reached while resending after network errors: the error says what the network did, and keeps it as cause", async () => {
      const cache = open(`&requestTimeout=${TIMEOUT_MS}&retries=5`, { suppress: false });
      await cache.ping();
      await session.setFault({ kind: "reset" });
      const error = await backendError(cache.set("k", 1));
      const cause = error.cause as Error | undefined;
      // The deadline ended the resends, but a dropped connection is what went wrong.
      expect([cause instanceof Error, cause?.name]).not.toEqual([true, "TimeoutError"]);
      expect([cause instanceof Error, cause?.name]).not.toEqual([true, "AbortError"]);
      expect(cause).toBeInstanceOf(Error);
      expect(error.message).toMatch(
        /^\[isocache\] \[upstash\] set got no answer within 300 ms \(\d+ attempts failed on the network, the last with: .+\): check that the REST URL is reachable/,
      );
      expect(error.message).toContain((cause as Error).message);
    });
  }

  function retriesTests(): void {
    it("retries: a request the network drops is sent `retries` more times, then fails saying the database was not reached", async () => {
      for (const retries of [0, 2]) {
        const cache = open(`&retries=${retries}`, { suppress: false });
        await session.reset();
        await cache.ping();
        await session.reset();
        await session.setFault({ kind: "reset" });
        const error = await backendError(cache.set("k", 1), `retries=${retries}`);
        expect(error.message).toMatch(/set could not reach the database/);
        // Deno's fetch itself sends a request again, once, when the pooled keep-alive connection it
        // went out on drops (seen on Deno 2.9): the first attempt may arrive twice, later ones
        // go out on fresh connections.
        const { requests } = await session.stats();
        expect([retries, requests >= retries + 1 && requests <= retries + 2]).toEqual([retries, true]);
      }
    });

    it("retries: a dropped request that succeeds when resent is not an error", async () => {
      const cache = open("&retries=1", { suppress: false });
      await cache.ping();
      await session.reset();
      await session.setFault({ kind: "reset", count: 1 });
      expect(await cache.set("k", "v")).toBe(true);
      expect((await session.stats()).requests).toBe(2);
      expect(await cache.get("k")).toBe("v");
    });

    it("retries: an HTTP error answer (400, 500) is not resent", async () => {
      const answers: [Fault, RegExp][] = [
        [
          {
            kind: "reply",
            status: 400,
            type: "application/json",
            body: '{"error":"ERR injected client error"}',
          },
          /set failed \(ERR injected client error\)/,
        ],
        [{ kind: "500" }, /set failed \(ERR injected failure\)/],
      ];
      for (const [fault, says] of answers) {
        const cache = open("&retries=3", { suppress: false });
        await session.reset();
        await cache.ping();
        await session.reset();
        await session.setFault(fault);
        expect((await backendError(cache.set("k", 1))).message).toMatch(says);
        expect((await session.stats()).requests).toBe(1);
      }
    });
  }

  function failureTests(): void {
    for (const [name, fault, says] of FAILURES) {
      it(`${name}: suppressed, every call is a miss or no-op in time; with suppress: false a CacheBackendError saying what to do`, async () => {
        const errors: unknown[] = [];
        const options = { timeout: TIMEOUT_MS, onError: (error: unknown) => void errors.push(error) };
        // A hung request holds its connection until requestTimeout aborts it, and Chromium opens
        // six per host: keep requestTimeout short so later requests are not queued behind them.
        const extra = "&retries=0&requestTimeout=1000";
        const suppressed = open(extra, options);
        const strict = open(extra, { timeout: TIMEOUT_MS, suppress: false });
        await Promise.all([suppressed.ping(), strict.ping()]);
        await session.setFault(fault);
        const loads = { count: 0 };
        for (const [what, call, expected] of calls(suppressed, loads)) {
          const started = Date.now();
          expect([what, await call()]).toEqual([what, expected]);
          // getOrSet makes two backend calls (read, then store), each bounded by the timeout.
          const allowed = (what === "getOrSet" ? 2 : 1) * TIMEOUT_MS + SLACK_MS;
          expect([what, Date.now() - started <= allowed]).toEqual([what, true]);
        }
        expect(errors.length).toBeGreaterThanOrEqual(7);
        for (const error of errors) expect(error).toBeInstanceOf(lib.CacheBackendError);
        for (const [what, call] of calls(strict, { count: 0 }))
          expect((await backendError(call(), what)).message).toMatch(says);
      });
    }

    it("a wrong token: a CacheBackendError saying to check the token, never echoing it", async () => {
      const errors: unknown[] = [];
      const suppressed = open("", { onError: (error) => void errors.push(error) }, TOKEN_SHOWN_NEVER);
      expect(await suppressed.get("k", "default")).toBe("default");
      const strict = open("", { suppress: false }, TOKEN_SHOWN_NEVER);
      const error = await backendError(strict.set("k", 1));
      for (const failure of [errors[0], error]) {
        expect(failure).toBeInstanceOf(lib.CacheBackendError);
        const message = (failure as Error).message;
        expect(message).toMatch(/^\[isocache\] \[upstash\] the database refused the REST token on /);
        expect(message).toMatch(/check the token/);
        expect(message).not.toContain(TOKEN_SHOWN_NEVER);
      }
    });
  }
}
