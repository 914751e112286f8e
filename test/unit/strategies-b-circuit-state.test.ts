// circuitBreaker with `suppress: false`: a state write that fails after the wrapped call ran
// (counting it, opening or closing the circuit) never replaces the call's own result or error;
// it goes to `onError`. A state read that fails before the call stops it: the circuit's state is
// unknown, and nothing has run yet.
import { describe, expect, it } from "vitest";
import {
  type Backend,
  Cache,
  CacheBackendError,
  type CacheError,
  CircuitBreakerOpen,
  memoryBackend,
} from "../../runtimes/node";

class Timeout extends Error {}

/** A breaker on a cache whose backend methods named in `failing` throw while `down.on`; what `onError` got. */
function breakerOn(failing: readonly string[]) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const reported: CacheError[] = [];
  const commands: string[] = [];
  const down = { on: false };
  const backend = memoryBackend({ clock }) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  for (const name of failing) {
    const real = (backend[name] as (...args: unknown[]) => Promise<unknown>).bind(backend);
    backend[name] = (...args) =>
      down.on
        ? Promise.reject(new CacheBackendError("memory", `${name}: the backend is down`))
        : real(...args);
  }
  const cache = new Cache({ clock }).setup(backend as unknown as Backend, {
    suppress: false,
    onError: (error, context) => {
      reported.push(error);
      commands.push(context.command);
    },
  });
  const state: { fail: Error | undefined; runs: number } = { fail: undefined, runs: 0 };
  const call = cache.circuitBreaker({ errorsRate: 50, period: "1m", ttl: "1s" })(async function call(
    host: string,
  ) {
    state.runs++;
    if (state.fail !== undefined) throw state.fail;
    return `ok ${host}`;
  });
  const outcome = async (): Promise<string> => {
    try {
      await call("api");
      return "ok";
    } catch (error) {
      return error instanceof CircuitBreakerOpen ? "open" : "error";
    }
  };
  return { clock, reported, commands, down, state, call, outcome };
}

describe("circuitBreaker state writes that fail (suppress: false)", () => {
  it("returns the call's result when counting it fails, and reports the failure", async () => {
    const { reported, commands, down, state, call } = breakerOn(["incr"]);
    down.on = true;
    expect(await call("api")).toBe("ok api");
    expect(commands).toEqual(["incr"]);
    expect(state.runs).toBe(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(CacheBackendError);
    expect(reported[0]?.message).toMatch(/incr: the backend is down/);
  });

  it("throws the call's own error when counting it fails, and reports the failure", async () => {
    const { reported, down, state, call } = breakerOn(["incr"]);
    down.on = true;
    state.fail = new Timeout("slow");
    expect(await call("api").catch((error: unknown) => error)).toBe(state.fail);
    expect(reported).toHaveLength(1);
  });

  it("throws the call's own error when opening the circuit fails, and reports the failure", async () => {
    const { reported, commands, down, state, call, outcome } = breakerOn(["set", "delete", "deleteMany"]);
    down.on = true;
    state.fail = new Timeout("slow");
    expect(await call("api").catch((error: unknown) => error)).toBe(state.fail);
    expect(commands).toEqual(["set"]);
    expect(reported.length).toBeGreaterThanOrEqual(1);
    down.on = false;
    expect(await outcome()).toBe("error"); // the circuit could not be opened: the call runs
  });

  it("keeps a probe's result and error when closing or re-opening the circuit fails", async () => {
    const { clock, reported, down, state, call, outcome } = breakerOn(["set", "delete", "deleteMany"]);
    state.fail = new Timeout("slow");
    expect(await outcome()).toBe("error"); // opens
    clock.t += 1000; // half-open
    down.on = true;
    const failed = await call("api").catch((error: unknown) => error);
    expect(failed).toBe(state.fail); // re-opening failed: reported, the probe's error stands
    const afterFailed = reported.length;
    expect(afterFailed).toBeGreaterThanOrEqual(1);
    state.fail = undefined;
    expect(await call("api")).toBe("ok api"); // closing failed: reported, the probe's result stands
    expect(reported.length).toBeGreaterThan(afterFailed);
  });

  it("stops the call when the state cannot be read before it runs", async () => {
    const { reported, down, state, call } = breakerOn(["getExpire"]);
    down.on = true;
    await expect(call("api")).rejects.toBeInstanceOf(CacheBackendError);
    expect(state.runs).toBe(0);
    expect(reported).toHaveLength(0);
  });
});
