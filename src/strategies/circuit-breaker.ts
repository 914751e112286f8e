import { type Duration, toMilliseconds } from "../core/durations";
import { CacheBackendError, CacheError, CircuitBreakerOpen, errorMessage } from "../core/errors";
import { releaseReporting } from "../core/locks";
import type { FeatureCache } from "../features/feature-cache";
import { configError, internalKey, whereOf } from "./_meta";
import { type ErrorClass, isOneOf } from "./conditions";
import { adapt } from "./decorate";
import type { Plan } from "./plan";
import {
  keyPlan,
  outsideTransaction,
  positiveDuration,
  positiveInteger,
  requireOptions,
  stateExtras,
} from "./rate-limit";
import type { StrategyDecorator } from "./types";

/** Options of `circuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Percentage of failed calls (0 to 100) within `period` that opens the circuit. */
  errorsRate: number;
  /** Window in which calls and errors are counted: `"1m"` or milliseconds (positive). */
  period: Duration;
  /** How long the circuit stays open, refusing every call (positive). */
  ttl: Duration;
  /** How long it then stays half-open, letting one probe call through at a time; default `ttl`, `0` for none. */
  halfOpenTtl?: Duration;
  /** Calls within `period` before the rate is judged (a positive integer); default 1, as in cashews. */
  minCalls?: number;
  /** Errors that count as failures; default: any error. Other errors pass through and count as successes. */
  exceptions?: readonly ErrorClass[];
  /** Which calls share a circuit: a template (`"api:{host}"`) or a function; default: function name and all arguments. */
  // biome-ignore lint/suspicious/noExplicitAny: the key function receives the wrapped function's arguments.
  key?: string | ((...args: any[]) => string);
  /** Put in front of the key with a colon. */
  prefix?: string;
  /** Name used in the default key and in messages; default: the function's name. */
  name?: string;
}

/** What one key's circuit is doing, read from the remaining TTL of its internal state key. */
type State = { kind: "closed" } | { kind: "open"; retryMs: number } | { kind: "half-open"; leftMs: number };

/**
 * Circuit breaker: counts calls and failures per key within `period` (internal `incr` counters
 * whose windows end together); when a failure brings the failures to `errorsRate` percent of at
 * least `minCalls` calls, the circuit opens and calls throw `CircuitBreakerOpen` without running
 * for `ttl`. It is then half-open for `halfOpenTtl`: one probe call at a time runs (the others are
 * refused); a probe that succeeds closes the circuit, one that fails re-opens it for `ttl`. A
 * half-open phase that ends without a failed probe closes it. `fn.invalidate(...args)` closes it.
 * @example
 * const pay = cache.circuitBreaker({ errorsRate: 50, minCalls: 10, period: "1m", ttl: "30s" })(callPaymentApi);
 */
export function circuitBreaker(cache: FeatureCache, options: CircuitBreakerOptions): StrategyDecorator {
  requireOptions("circuitBreaker", options, '{ errorsRate: 50, period: "1m", ttl: "30s" }');
  return adapt((fn, site) => {
    const plan = keyPlan(cache, fn, site, options, "circuitBreaker");
    const breaker = checkedBreaker(cache, plan, options, whereOf("circuitBreaker", options, site));
    const body = (key: string, thisArg: unknown, args: unknown[]) => guard(breaker, key, thisArg, args);
    return {
      call: (thisArg, args) => plan.run(thisArg, args, body),
      extras: stateExtras(plan, (key) => Object.values(circuitKeys(key))),
    };
  }) as StrategyDecorator;
}

/** One wrapped function's breaker: its checked options and what every call of its circuits reads. */
interface Breaker {
  readonly cache: FeatureCache;
  readonly plan: Plan;
  readonly where: string;
  readonly rate: number;
  readonly periodMs: number;
  readonly openMs: number;
  readonly halfOpenMs: number;
  readonly minCalls: number;
  readonly exceptions: readonly ErrorClass[] | undefined;
}

/** Checks the options when a function is wrapped, in the order their errors are reported. */
function checkedBreaker(
  cache: FeatureCache,
  plan: Plan,
  options: CircuitBreakerOptions,
  where: string,
): Breaker {
  const rate = options.errorsRate;
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 100)) {
    throw configError(
      where,
      `\`errorsRate\` must be a percentage from 0 to 100, got ${String(rate)}`,
      "pass for example errorsRate: 50",
    );
  }
  const periodMs = positiveDuration(options.period, "period", where);
  const openMs = positiveDuration(options.ttl, "ttl", where);
  const halfOpenMs =
    options.halfOpenTtl === undefined ? openMs : toMilliseconds(options.halfOpenTtl, "halfOpenTtl");
  const minCalls = options.minCalls === undefined ? 1 : positiveInteger(options.minCalls, "minCalls", where);
  const exceptions = options.exceptions;
  if (
    exceptions !== undefined &&
    (!Array.isArray(exceptions) || !exceptions.every((item) => typeof item === "function"))
  ) {
    throw configError(
      where,
      "`exceptions` must be an array of error classes",
      "pass for example exceptions: [TypeError]",
    );
  }
  return { cache, plan, where, rate, periodMs, openMs, halfOpenMs, minCalls, exceptions };
}

/** The internal keys of one call key's circuit. */
interface CircuitKeys {
  readonly state: string;
  readonly probe: string;
  readonly calls: string;
  readonly errors: string;
}

function circuitKeys(key: string): CircuitKeys {
  return {
    state: internalKey("circuit", key),
    probe: internalKey("circuit-probe", key),
    calls: internalKey("circuit-calls", key),
    errors: internalKey("circuit-errors", key),
  };
}

/** One call: refused while the circuit is open, a probe while half-open, else run and counted. */
async function guard(b: Breaker, key: string, thisArg: unknown, args: unknown[]): Promise<unknown> {
  const k = circuitKeys(key);
  const state = await stateOf(b, k.state);
  if (state.kind === "open")
    throw refused(b.where, "open after too many failed calls", `retry in ${Math.ceil(state.retryMs)} ms`);
  if (state.kind === "half-open") return probe(b, thisArg, args, k, state.leftMs);
  let done: { value: unknown };
  try {
    done = await b.plan.execute(thisArg, args);
  } catch (error) {
    await recording(b, k.state, "incr", (step) => count(b, k, fails(b, error), step));
    throw error;
  }
  await recording(b, k.state, "incr", (step) => count(b, k, false, step));
  return done.value;
}

/** The backend command a state write is at, for `onError` when it fails (see `recording`). */
interface Step {
  command: string;
}

/**
 * Runs `write`, the state writes made after the call ran (counting it, opening or closing the
 * circuit), whose failure must not replace the call's own result or error: it goes to the
 * `onError` of the route of `stateKey` (as `releaseReporting` does for locks), or is warned,
 * named by the command `write` was at. The state read and the probe lock before the call still
 * throw: nothing has run then, and the circuit's state is unknown.
 */
async function recording(
  b: Breaker,
  stateKey: string,
  command: string,
  write: (step: Step) => Promise<unknown>,
): Promise<void> {
  const step: Step = { command };
  try {
    await write(step);
  } catch (failure) {
    const route = b.cache.routeFor(stateKey);
    const name = route.backend.name;
    const problem = `recording the circuit's state failed (${failure instanceof Error ? failure.message : String(failure)})`;
    const error =
      failure instanceof CacheError
        ? failure
        : new CacheBackendError(
            name,
            errorMessage(b.where, problem, "the call's own outcome stands; check the backend"),
          );
    route.report(error, step.command, stateKey);
  }
}

function fails(b: Breaker, error: unknown): boolean {
  return b.exceptions === undefined || b.exceptions.length === 0 || isOneOf(error, b.exceptions);
}

async function stateOf(b: Breaker, stateKey: string): Promise<State> {
  const left = await b.cache.getExpire(stateKey);
  if (left === -2) return { kind: "closed" };
  if (left === -1 || left > b.halfOpenMs)
    return { kind: "open", retryMs: left < 0 ? b.openMs : left - b.halfOpenMs };
  return { kind: "half-open", leftMs: left };
}

function open(b: Breaker, stateKey: string, onlyIfClosed: boolean): Promise<boolean> {
  return b.cache.write(
    stateKey,
    b.cache.clock.now(),
    b.openMs + b.halfOpenMs,
    undefined,
    onlyIfClosed ? false : undefined,
  );
}

function reset(b: Breaker, k: CircuitKeys, closing: boolean): Promise<number> {
  return outsideTransaction(b.cache, () =>
    b.cache.deleteMany(closing ? [k.state, k.calls, k.errors] : [k.calls, k.errors]),
  );
}

/** Counts one call of a closed circuit; on a failure, opens it when the rate is reached. */
async function count(b: Breaker, k: CircuitKeys, failed: boolean, step: Step): Promise<void> {
  step.command = "incr";
  const calls = await outsideTransaction(b.cache, () => b.cache.incr(k.calls, 1, { ttl: b.periodMs }));
  if (!failed) return;
  // The errors counter ends with the calls counter, so one window never counts another's errors.
  step.command = "getExpire";
  const left = await b.cache.getExpire(k.calls);
  step.command = "incr";
  const errors = await outsideTransaction(b.cache, () =>
    b.cache.incr(k.errors, 1, { ttl: left > 0 ? left : b.periodMs }),
  );
  if (calls < b.minCalls || errors * 100 < b.rate * calls) return;
  step.command = "set";
  await open(b, k.state, true);
  step.command = "deleteMany";
  await reset(b, k, false);
}

/**
 * One probe call of a half-open circuit, holding the probe lock. Its outcome is the caller's
 * whatever the state writes and the unlock do: a failing one goes to `onError` (`recording`,
 * `releaseReporting`), never over the probe's result or error; the lock ends with the half-open
 * phase anyway.
 */
async function probe(
  b: Breaker,
  thisArg: unknown,
  args: unknown[],
  k: CircuitKeys,
  leftMs: number,
): Promise<unknown> {
  const token = crypto.randomUUID();
  if (!(await b.cache.setLock(k.probe, token, Math.max(1, leftMs))))
    throw refused(b.where, "half-open and a probe call is running", "retry shortly");
  try {
    let done: { value: unknown };
    try {
      done = await b.plan.execute(thisArg, args);
    } catch (error) {
      if (fails(b, error)) await recording(b, k.state, "set", () => open(b, k.state, false));
      else await recording(b, k.state, "deleteMany", () => reset(b, k, true));
      throw error;
    }
    await recording(b, k.state, "deleteMany", () => reset(b, k, true));
    return done.value;
  } finally {
    await releaseReporting(b.cache.routeFor(k.probe), k.probe, b.cache.unlock(k.probe, token));
  }
}

function refused(where: string, state: string, remedy: string): CircuitBreakerOpen {
  return new CircuitBreakerOpen(errorMessage(where, `the circuit is ${state}`, remedy));
}
