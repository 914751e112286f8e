import { describe, expect, it } from "vitest";
import {
  Cache,
  CacheBackendError,
  CacheConfigError,
  type CacheError,
  CircuitBreakerOpen,
} from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Timeout extends Error {}
class NotFound extends Error {}

type Options = Parameters<Cache["circuitBreaker"]>[0];

/** A service behind a circuit breaker, on a fake clock; `state.fail` makes its calls throw. */
function setup(options: Partial<Options> = {}, cache?: Cache) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const own = cache ?? new Cache({ clock });
  const state: { fail: Error | undefined; runs: number; gate: Promise<void> | undefined } = {
    fail: undefined,
    runs: 0,
    gate: undefined,
  };
  const call = own.circuitBreaker({ errorsRate: 50, period: "1m", ttl: "1s", ...options })(
    async function call(host: string) {
      state.runs++;
      if (state.gate !== undefined) await state.gate;
      if (state.fail !== undefined) throw state.fail;
      return `ok ${host}`;
    },
  );
  /** "ok", "error" (the function threw) or "open" (refused without running). */
  const outcome = async (host = "api"): Promise<string> => {
    try {
      await call(host);
      return "ok";
    } catch (error) {
      return error instanceof CircuitBreakerOpen ? "open" : "error";
    }
  };
  return { cache: own, clock, state, call, outcome };
}

describe("circuitBreaker", () => {
  it("opens once failures reach errorsRate percent of at least minCalls calls, and refuses without running", async () => {
    const { state, outcome, call } = setup({ minCalls: 4 });
    expect([await outcome(), await outcome()]).toEqual(["ok", "ok"]);
    state.fail = new Timeout();
    expect(await outcome()).toBe("error"); // 1 of 3 calls, under minCalls
    expect(await outcome()).toBe("error"); // 2 of 4 calls = 50%: opens
    state.fail = undefined;
    const runs = state.runs;
    await expect(call("api")).rejects.toThrow(
      /the circuit is open after too many failed calls: retry in 1000 ms/,
    );
    expect(await outcome()).toBe("open");
    expect(state.runs).toBe(runs);
    expect(await outcome("other")).toBe("ok"); // one circuit per key
  });

  it("stays closed under the rate", async () => {
    const { state, outcome } = setup({ minCalls: 4 });
    for (let i = 0; i < 3; i++) expect(await outcome()).toBe("ok");
    state.fail = new Timeout();
    expect(await outcome()).toBe("error"); // 1 of 4 = 25%
    state.fail = undefined;
    expect(await outcome()).toBe("ok");
  });

  it("opens on the first failure with the default minCalls of 1", async () => {
    const { state, outcome } = setup();
    state.fail = new Timeout();
    expect(await outcome()).toBe("error");
    expect(await outcome()).toBe("open");
  });

  it("counts calls and errors per period only", async () => {
    const { state, outcome, clock } = setup({ minCalls: 2, period: "1s" });
    state.fail = new Timeout();
    expect(await outcome()).toBe("error"); // 1 of 1, under minCalls
    clock.t += 1000; // a new window: the old error is forgotten
    state.fail = undefined;
    expect([await outcome(), await outcome()]).toEqual(["ok", "ok"]);
    state.fail = new Timeout();
    expect(await outcome()).toBe("error"); // 1 of 3 < 50%
    expect(await outcome()).toBe("error"); // 2 of 4 = 50%: opens
    expect(await outcome()).toBe("open");
  });

  it("only counts the listed exceptions", async () => {
    const { state, outcome } = setup({ exceptions: [Timeout] });
    state.fail = new NotFound();
    for (let i = 0; i < 3; i++) expect(await outcome()).toBe("error");
    state.fail = new Timeout();
    expect(await outcome()).toBe("error"); // 1 of 4 = 25%
    expect(await outcome()).toBe("error"); // 2 of 5 = 40%
    expect(await outcome()).toBe("error"); // 3 of 6 = 50%: opens
    expect(await outcome()).toBe("open");
  });

  it("refuses until ttl ends, then lets one probe at a time through; a success closes it", async () => {
    const { state, outcome, clock, call } = setup({ minCalls: 3 });
    state.fail = new Timeout();
    for (let i = 0; i < 3; i++) await outcome();
    expect(await outcome()).toBe("open");
    clock.t += 999;
    await expect(call("api")).rejects.toThrow(/retry in 1 ms/);
    clock.t += 1; // half-open
    state.fail = undefined;
    let release = () => {};
    state.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const probe = call("api");
    await expect(call("api")).rejects.toThrow(/the circuit is half-open and a probe call is running/);
    const runs = state.runs;
    release();
    expect(await probe).toBe("ok api");
    state.gate = undefined;
    // Closed again with fresh counters: two failures among three calls are needed to reopen it.
    expect(await outcome()).toBe("ok");
    state.fail = new Timeout();
    expect(await outcome()).toBe("error");
    expect(await outcome()).toBe("error");
    expect(await outcome()).toBe("open");
    expect(state.runs).toBe(runs + 3);
  });

  it("re-opens for ttl when the probe fails", async () => {
    const { state, outcome, clock } = setup({ ttl: "1s", halfOpenTtl: "10s" });
    state.fail = new Timeout();
    await outcome();
    clock.t += 1000;
    expect(await outcome()).toBe("error"); // the probe
    state.fail = undefined;
    clock.t += 999;
    expect(await outcome()).toBe("open");
    clock.t += 1;
    expect(await outcome()).toBe("ok");
    expect(await outcome()).toBe("ok");
  });

  it("closes when the half-open phase ends without a failed probe, or at once with halfOpenTtl 0", async () => {
    const slow = setup({ ttl: "1s", halfOpenTtl: "2s" });
    slow.state.fail = new Timeout();
    await slow.outcome();
    slow.clock.t += 3000;
    slow.state.fail = undefined;
    expect([await slow.outcome(), await slow.outcome()]).toEqual(["ok", "ok"]);

    const quick = setup({ ttl: "1s", halfOpenTtl: 0 });
    quick.state.fail = new Timeout();
    await quick.outcome();
    quick.clock.t += 999;
    expect(await quick.outcome()).toBe("open");
    quick.clock.t += 1;
    expect(await quick.outcome()).toBe("error"); // closed: a plain failure, which opens it again
    expect(await quick.outcome()).toBe("open");
  });

  it("invalidate closes the circuit; the cache disabled calls straight through", async () => {
    const { state, outcome, call, cache } = setup();
    state.fail = new Timeout();
    await outcome();
    expect(await outcome()).toBe("open");
    expect(await cache.disabling(() => outcome())).toBe("error");
    expect(await call.invalidate("api")).toBe(true);
    state.fail = undefined;
    expect(await outcome()).toBe("ok");
  });

  it("half-opens after ttl in real time", async () => {
    const { state, outcome } = setup({ ttl: "100ms", halfOpenTtl: "1s" }, new Cache());
    state.fail = new Timeout();
    await outcome();
    expect(await outcome()).toBe("open");
    state.fail = undefined;
    await sleep(160);
    expect(await outcome()).toBe("ok");
    expect(await outcome()).toBe("ok");
  });

  it("throws CacheConfigError when wrapped with bad options", () => {
    const cache = new Cache();
    const fn = async function fn(id: string) {
      return id;
    };
    const wrap = (options: Partial<Options>) => () =>
      cache.circuitBreaker({ errorsRate: 50, period: "1m", ttl: "1s", ...options })(fn);
    for (const errorsRate of [-1, 100.5, 101, Number.NaN, "50" as never])
      expect(wrap({ errorsRate })).toThrow(/errorsRate/);
    for (const period of [0, "0ms", "1h30"]) expect(wrap({ period })).toThrow(CacheConfigError);
    for (const ttl of [0, -1, undefined as never]) expect(wrap({ ttl })).toThrow(CacheConfigError);
    expect(wrap({ minCalls: 0 })).toThrow(/minCalls/);
    expect(wrap({ halfOpenTtl: "x" })).toThrow(CacheConfigError);
    expect(wrap({ exceptions: [42 as never] })).toThrow(/exceptions/);
    expect(wrap({ key: "{nope}" })).toThrow(CacheConfigError);
    expect(() => cache.circuitBreaker({ errorsRate: 0, period: "1m", ttl: "1s" })(async () => 1)).toThrow(
      CacheConfigError,
    );
    for (const errorsRate of [0, 100]) expect(wrap({ errorsRate })).not.toThrow();
  });

  describe("a half-open probe whose lock cannot be given back (suppress: false)", () => {
    /** A breaker on a cache whose `unlock` fails; the failures `onError` got. */
    function unlockFails() {
      const clock = { t: 1_000_000, now: () => clock.t };
      const reported: CacheError[] = [];
      const cache = new Cache({ clock }).setup("mem://", {
        suppress: false,
        onError: (error) => reported.push(error),
        middlewares: [
          async (call, next) => {
            if (call.command === "unlock")
              throw new CacheBackendError("memory", "unlock: the backend is down");
            return next();
          },
        ],
      });
      // `clock` is the cache's: the one `setup` makes is for the caches it makes itself.
      return { ...setup({}, cache), clock, reported };
    }

    it("still returns the probe's result, and reports the unlock's failure to onError", async () => {
      const { state, outcome, call, clock, reported } = unlockFails();
      state.fail = new Timeout();
      expect(await outcome()).toBe("error");
      clock.t += 1000; // half-open
      state.fail = undefined;
      expect(await call("api")).toBe("ok api");
      expect(reported.map((error) => error.message)).toEqual([
        expect.stringMatching(/unlock: the backend is down/),
      ]);
      expect(await outcome()).toBe("ok"); // closed by the probe
    });

    it("still throws the probe's own error, and reports the unlock's failure to onError", async () => {
      const { state, outcome, call, clock, reported } = unlockFails();
      state.fail = new Timeout();
      expect(await outcome()).toBe("error");
      clock.t += 1000;
      const error = await call("api").catch((reason: unknown) => reason);
      expect(error).toBe(state.fail);
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(CacheBackendError);
      expect(await outcome()).toBe("open"); // re-opened by the failed probe
    });
  });
});
