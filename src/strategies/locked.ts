import { type Duration, toMilliseconds } from "../core/durations";
import { errorMessage, LockedError } from "../core/errors";
import type { FeatureCache } from "../features/feature-cache";
import { configError, internalKey, rejectLock, whereOf } from "./_meta";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";

/** Options of `locked`. */
export type LockedOptions = StrategyOptions<never[]> & {
  /** `false`: throw `LockedError` when held; `true` (default): wait up to `ttl`; a duration: wait that long. */
  wait?: boolean | Duration;
  /** Polling interval while waiting; default 25 ms. */
  step?: Duration;
};

const DEFAULT_STEP_MS = 25;

/**
 * Lets at most one execution per key run at a time, in-process and across processes sharing the
 * default backend, through `setLock` on `__isocache__:lock:<key>` held at most `ttl` (required: a
 * crashed holder must not keep the lock) and always released when the call settles. Stores
 * nothing. A caller that cannot take the lock within its wait gets `LockedError`.
 * @example
 * const charge = cache.locked({ ttl: "30s", wait: false, key: "charge:{orderId}" })(async function charge(orderId: string) { … });
 */
export function locked(cache: FeatureCache, options: LockedOptions): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "locked");
    const settings = settingsOf(plan, options, whereOf("locked", options, site));
    const call = (thisArg: unknown, args: unknown[]) =>
      plan.run(thisArg, args, (key) => runLocked(plan, settings, thisArg, args, key));
    return {
      call,
      extras: {
        ...plan.extras(),
        refresh(this: unknown, ...args: unknown[]) {
          return call(this, args);
        },
      },
    };
  }) as StrategyDecorator;
}

interface Settings {
  readonly where: string;
  /** `false`, or how long to wait in ms (`undefined`: the call's TTL). */
  readonly waitMs: false | number | undefined;
  readonly stepMs: number;
}

const TTL_REMEDY = 'pass for example ttl: "30s": the lock ends by itself after it if its holder crashes';

function settingsOf(plan: Plan, options: LockedOptions, where: string): Settings {
  rejectLock(options, where);
  if (options.ttl === undefined) throw configError(where, "`ttl` is required", TTL_REMEDY);
  if (typeof options.ttl !== "function" && plan.ttl([]) === undefined) {
    throw configError(where, "`ttl` must be positive", TTL_REMEDY);
  }
  const wait = options.wait ?? true;
  const waitMs = wait === false ? false : wait === true ? undefined : toMilliseconds(wait, "wait");
  const stepMs = options.step === undefined ? DEFAULT_STEP_MS : toMilliseconds(options.step, "step");
  if (stepMs <= 0) throw configError(where, "`step` must be positive", 'pass for example step: "50ms"');
  return { where, waitMs, stepMs };
}

/** Takes the key's lock (waiting as configured), runs the call, and always releases the lock. */
async function runLocked(
  plan: Plan,
  settings: Settings,
  thisArg: unknown,
  args: unknown[],
  key: string,
): Promise<unknown> {
  const { cache } = plan;
  const ttl = plan.ttl(args);
  if (ttl === undefined) throw configError(settings.where, "the `ttl` function returned 0", TTL_REMEDY);
  if (!cache.isEnabled("setLock")) return (await plan.execute(thisArg, args)).value;
  const lockKey = internalKey("lock", key);
  const wait = settings.waitMs === false ? false : (settings.waitMs ?? ttl);
  // `cache.lock` waits, polls and releases as `locked` needs, and rejects with CacheBackendError
  // (under `suppress` too) when the backend fails: a failed attempt is not a lock someone holds,
  // and waiting out the ttl for it would end in a LockedError that blames another call.
  let started = false;
  try {
    const done = await cache.lock(lockKey, { ttl, wait, step: settings.stepMs }, () => {
      started = true;
      return plan.execute(thisArg, args);
    });
    return done.value;
  } catch (error) {
    if (!started && error instanceof LockedError) throw lockedError(settings, key);
    throw error;
  }
}

function lockedError(settings: Settings, key: string): LockedError {
  const remedy =
    settings.waitMs === false
      ? "retry later, or pass wait: true to wait for it"
      : "retry later, or wait longer with a larger `wait`";
  return new LockedError(errorMessage(settings.where, `"${key}" is running in another call`, remedy));
}
