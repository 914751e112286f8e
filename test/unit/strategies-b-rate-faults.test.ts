// rateLimit and sliceRateLimit while their backend fails, under the default `suppress`: a limit
// whose count cannot be read or recorded refuses the call with CacheBackendError (as `lock`
// does) instead of admitting every call, and the failure still goes to onError.
import { describe, expect, it } from "vitest";
import { Cache, CacheBackendError, memoryBackend } from "../../runtimes/node";

/** A memory backend whose methods named in `state.failing` (all of them when empty) reject while `state.down`. */
function flakyCache(options: { secret?: string; suppress?: boolean } = {}) {
  const backend = memoryBackend();
  const state = { down: false, failing: new Set<string>() };
  const flaky = new Proxy(backend, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (typeof value !== "function") return value;
      const fails = state.down && (state.failing.size === 0 || state.failing.has(String(name)));
      return fails ? () => Promise.reject(new Error("connection refused")) : value.bind(target);
    },
  });
  const reported: string[] = [];
  const cache = new Cache().setup(flaky, { ...options, onError: (error) => reported.push(error.code) });
  return { cache, state, reported };
}

type Limiter = "rateLimit" | "rateLimit with ttl" | "sliceRateLimit";

/** A limited function on `cache` counting its runs and the calls of its `action`. */
function limited(cache: Cache, kind: Limiter) {
  const counts = { runs: 0, actions: 0 };
  const action = () => {
    counts.actions++;
    return "refused";
  };
  const options = { limit: 2, period: "1m", action };
  const decorate =
    kind === "sliceRateLimit"
      ? cache.sliceRateLimit(options)
      : cache.rateLimit(kind === "rateLimit" ? options : { ...options, ttl: "1h" });
  const op = decorate(async function op() {
    counts.runs++;
    return "ran";
  });
  return { op, counts };
}

const kinds: Limiter[] = ["rateLimit", "rateLimit with ttl", "sliceRateLimit"];

describe("rate limits on a failing backend (suppress)", () => {
  for (const kind of kinds) {
    for (const secret of [undefined, "s3cret"]) {
      const label = secret === undefined ? "" : " (signed records)";
      it(`${kind}${label}: refuses every call with CacheBackendError, runs nothing, reports to onError`, async () => {
        const { cache, state, reported } = flakyCache(secret === undefined ? {} : { secret });
        const { op, counts } = limited(cache, kind);
        expect(await op()).toBe("ran");
        state.down = true;
        const outcomes = await Promise.all(
          Array.from({ length: 5 }, () => op().catch((error: unknown) => error)),
        );
        for (const outcome of outcomes) {
          expect(outcome).toBeInstanceOf(CacheBackendError);
          expect((outcome as Error).message).toMatch(/the backend failed.*reported to onError/);
        }
        expect(counts).toEqual({ runs: 1, actions: 0 });
        expect(reported.length).toBeGreaterThan(0);
        // Back up, the window kept its one call: one more runs, then the limit holds.
        state.down = false;
        expect(await Promise.all([op(), op()])).toEqual(["ran", "refused"]);
      });
    }
  }

  it("sliceRateLimit refuses a call whose admission cannot be written, rather than admit it unrecorded", async () => {
    const { cache, state } = flakyCache();
    const { op, counts } = limited(cache, "sliceRateLimit");
    state.down = true;
    state.failing.add("set");
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => op().catch((error: unknown) => error)),
    );
    expect(outcomes.every((outcome) => outcome instanceof CacheBackendError)).toBe(true);
    expect(counts.runs).toBe(0);
  });

  it("with suppress: false the backend's own CacheBackendError comes through unchanged", async () => {
    const { cache, state } = flakyCache({ suppress: false });
    const { op, counts } = limited(cache, "rateLimit");
    state.down = true;
    const error = await op().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(/incr failed \(connection refused\)/);
    expect(counts.runs).toBe(0);
  });
});
