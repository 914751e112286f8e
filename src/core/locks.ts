import { assertFunction, assertKnownOptions } from "./arguments";
import { NOT_NATIVE, type NotNative } from "./atomic";
import type { Clock } from "./clock";
import { type Duration, MAX_TIMER_MS, toMilliseconds } from "./durations";
import { CacheBackendError, CacheConfigError, CacheError, errorMessage, LockedError } from "./errors";
import { assertKey } from "./keys";
import { heldInRecord, releaseInRecord, takeInRecord } from "./record-locks";
import type { Route } from "./route";
import type { Router } from "./router";
import type { ValueWithExpire } from "./types";

/** What a lock attempt answers when `suppress` turned a backend failure into a no-op. */
const BACKEND_FAILED: unique symbol = Symbol("backend failed");

/** Options of `isLocked`. */
export interface IsLockedOptions {
  /** How long to wait for the lock to be released; default: do not wait. */
  wait?: Duration;
  /** Polling interval while waiting; default 50 ms. */
  step?: Duration;
}

/** Options of `lock`. */
export interface LockOptions {
  /** How long the lock is held at most (it expires by itself after that). */
  ttl: Duration;
  /** `false`: throw `LockedError` when held; `true` (default): wait up to `ttl`; a duration: wait that long. */
  wait?: boolean | Duration;
  /** Polling interval while waiting; default 50 ms. */
  step?: Duration;
}

const DEFAULT_STEP_MS = 50;
const IS_LOCKED_OPTIONS: readonly string[] = ["wait", "step"];
const LOCK_OPTIONS: readonly string[] = ["ttl", "wait", "step"];

/** A lock TTL in milliseconds; a lock must expire, so 0 and absent are refused. */
function lockTtl(ttl: Duration): number {
  const ms = ttl === undefined ? 0 : toMilliseconds(ttl, "ttl");
  if (ms <= 0) {
    throw new CacheConfigError(
      errorMessage(
        "lock",
        "a lock needs a positive `ttl`",
        'pass for example ttl: "30s" so a crashed holder cannot keep it forever',
      ),
    );
  }
  return ms;
}

/** A polling interval in milliseconds; 0 is refused, as by `locked`: it would poll the backend nonstop. */
function stepOf(step: Duration | undefined): number {
  if (step === undefined) return DEFAULT_STEP_MS;
  const ms = toMilliseconds(step, "step");
  if (ms <= 0) {
    throw new CacheConfigError(
      errorMessage("lock", "`step` must be positive", 'pass for example step: "50ms", or leave it out'),
    );
  }
  return ms;
}

/**
 * Sleeps `ms` milliseconds, at most `MAX_TIMER_MS`: a longer delay would fire at once and turn a
 * wait with a huge `step` into a busy poll of the backend; the callers' loops sleep again.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, MAX_TIMER_MS)));
}

/**
 * Awaits `release`, an unlock whose failure must not be thrown (after a call that threw, whose own
 * error it would replace, or after a transaction that already settled): the lock ends with its
 * TTL anyway, so the failure goes to the `onError` of `route` instead.
 */
export async function releaseReporting(route: Route, key: string, release: Promise<unknown>): Promise<void> {
  try {
    await release;
  } catch (failure) {
    const name = route.backend.name;
    const problem = `releasing the lock "${key}" failed (${failure instanceof Error ? failure.message : String(failure)})`;
    const error =
      failure instanceof CacheError
        ? failure
        : new CacheBackendError(name, errorMessage(name, problem, "it ends with its ttl"));
    route.report(error, "unlock", key);
  }
}

/**
 * `work`'s result once `release()` (the unlock of the lock it ran under) is done. When `work`
 * throws, a failing release is reported (see `releaseReporting`), so the caller gets `work`'s
 * own error; after a result, the release's failure is thrown as `suppress` says.
 */
export async function releasingAfter<T>(
  route: Route,
  key: string,
  work: () => T | Promise<T>,
  release: () => Promise<unknown>,
): Promise<T> {
  let value: T;
  try {
    value = await work();
  } catch (error) {
    await releaseReporting(route, key, release());
    throw error;
  }
  await release();
  return value;
}

/**
 * Locks stored as the bare token under the lock key, taken with set-if-absent and released by
 * compare-and-delete; on a backend that expires nothing, as a record holding the lock's expiry (./record-locks).
 */
export class CacheLocks {
  readonly #router: Router;
  readonly #clock: Clock;
  readonly #local = new Map<string, Promise<unknown>>();

  constructor(router: Router, clock: Clock) {
    this.#router = router;
    this.#clock = clock;
  }

  async setLock(key: string, token: string, ttl: Duration): Promise<boolean> {
    assertKey(key);
    const ms = lockTtl(ttl);
    const route = this.#router.route(key);
    return route.run("setLock", key, [key, token, ttl], () => this.#take(route, key, token, ms));
  }

  #take<F = false>(
    route: Route,
    key: string,
    token: string,
    ms: number,
    failed: F = false as F,
  ): Promise<boolean | F> {
    if (route.expiresNothing) return takeInRecord(route, this.#clock, key, token, ms, failed);
    const ttl = route.nativeTtl(ms) ?? ms;
    return route.call<boolean | F>("setLock", key, failed, (backend) =>
      backend.setLock !== undefined
        ? backend.setLock(key, token, ttl)
        : backend.set(key, token, { ttl, exist: false }),
    );
  }

  /** `Backend.lockUnlessStored` on `route` (which serves both keys), or `NOT_NATIVE` when it lacks it. */
  lockUnlessStored(
    route: Route,
    lockKey: string,
    key: string,
    token: string,
    ms: number,
  ): Promise<ValueWithExpire | boolean | NotNative> {
    assertKey(lockKey);
    if (route.expiresNothing) return Promise.resolve(NOT_NATIVE);
    const ttl = route.nativeTtl(lockTtl(ms)) ?? ms;
    return route.run("setLock", lockKey, [lockKey, token, ms], () =>
      route.call<ValueWithExpire | boolean | NotNative>("setLock", lockKey, false, (backend) =>
        backend.lockUnlessStored === undefined
          ? Promise.resolve(NOT_NATIVE)
          : backend.lockUnlessStored(lockKey, key, token, ttl),
      ),
    );
  }

  async unlock(key: string, token: string): Promise<boolean> {
    assertKey(key);
    const route = this.#router.route(key);
    if (route.expiresNothing)
      return route.run("unlock", key, [key, token], () => releaseInRecord(route, this.#clock, key, token));
    return route.run("unlock", key, [key, token], () =>
      route.call("unlock", key, false, async (backend) => {
        if (backend.unlock !== undefined) return backend.unlock(key, token);
        if ((await backend.get(key)) !== token) return false;
        return backend.delete(key);
      }),
    );
  }

  async isLocked(key: string, options: IsLockedOptions = {}): Promise<boolean> {
    assertKey(key);
    assertKnownOptions(
      options,
      "isLocked(%k, options)",
      IS_LOCKED_OPTIONS,
      'pass for example { wait: "2s" }, or leave them out',
      key,
    );
    const route = this.#router.route(key);
    const held = route.expiresNothing
      ? () => heldInRecord(route, this.#clock, key)
      : () => route.call("isLocked", key, false, (backend) => backend.exists(key));
    if (options.wait === undefined) return route.run("isLocked", key, [key, options], held);
    const waitMs = toMilliseconds(options.wait, "wait");
    const stepMs = stepOf(options.step);
    return route.run("isLocked", key, [key, options], async () => {
      const deadline = Date.now() + waitMs;
      while (await held()) {
        const left = deadline - Date.now();
        if (left <= 0) return true;
        await sleep(Math.min(stepMs, left));
      }
      return false;
    });
  }

  async lock<T>(key: string, options: LockOptions, fn: () => T | Promise<T>): Promise<T> {
    assertKey(key);
    assertKnownOptions(
      options,
      "lock(%k, options, fn)",
      LOCK_OPTIONS,
      'pass for example { ttl: "30s" }',
      key,
    );
    assertFunction(
      fn,
      "lock(%k, options, fn)",
      "pass the work to run while holding the lock, such as async () => { … }",
      key,
    );
    const ttlMs = lockTtl(options.ttl);
    const wait = options.wait ?? true;
    const waitMs = wait === false ? 0 : wait === true ? ttlMs : toMilliseconds(wait, "wait");
    const stepMs = stepOf(options.step);
    const route = this.#router.route(key);
    if (!route.enabled) return fn(); // `enable: false`: no lock to take, as wrappers call straight through
    const token = crypto.randomUUID();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const taken = await this.#take(route, key, token, ttlMs, BACKEND_FAILED);
      if (taken === true) break;
      // A failure `suppress` hid is not a lock someone holds: say so rather than LockedError,
      // and do not run `fn` unguarded.
      if (taken === BACKEND_FAILED) {
        throw new CacheBackendError(
          route.backend.name,
          errorMessage(
            route.backend.name,
            `the lock "${key}" could not be taken: the backend failed (reported to onError)`,
            "check that the backend is reachable, then retry",
          ),
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new LockedError(
          errorMessage(
            route.backend.name,
            `the lock "${key}" is held by another caller`,
            wait === false
              ? "retry later, or pass wait: true to wait for it"
              : "retry later, or wait longer with a larger `wait`",
          ),
        );
      }
      await sleep(Math.min(stepMs, left));
    }
    return releasingAfter(route, key, fn, () => this.unlock(key, token));
  }

  /**
   * Runs `fn` with no other `exclusive` call for `key` of this cache running meanwhile; used for
   * read-modify-write emulation inside one process.
   */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#local.get(key) ?? Promise.resolve();
    const current = previous.then(fn, fn);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.#local.set(key, settled);
    try {
      return await current;
    } finally {
      if (this.#local.get(key) === settled) this.#local.delete(key);
    }
  }
}
