// A plan's load of one key: execute the wrapped function and store what it returned (or the
// error it threw, when the condition caches that class), either directly or holding a lock
// across processes so that one of them loads and the others take its result.
import { INTERNAL_PREFIX } from "../core/keys";
import { releasingAfter, sleep } from "../core/locks";
import type { LoadTicket } from "../core/route";
import { type ErrorClass, failureOf } from "./conditions";
import type { Plan } from "./plan";

const LOCK_TTL_MS = 10_000;
const LOCK_STEP_MS = 20;

/** Executes and stores unless `ticket` went stale meanwhile (see `Plan.store`). */
export async function loadWith(
  plan: Plan,
  thisArg: unknown,
  args: readonly unknown[],
  key: string,
  ticket: LoadTicket,
): Promise<unknown> {
  // Rendered before the run, so a bad tag refuses the call; awaited only when there are tags.
  const rendering = plan.tagsOf(args);
  const tags = rendering === undefined ? undefined : await rendering;
  let done: { value: unknown; elapsed: number };
  try {
    done = await plan.execute(thisArg, args);
  } catch (error) {
    await plan.storeError(key, args, error, ticket, tags);
    throw error;
  }
  await plan.store(key, args, done.value, done.elapsed, ticket, tags);
  return done.value;
}

/**
 * One execution per key across processes: the lock holder loads, the others wait for its
 * result. Taking the lock and checking that no holder stored the value meanwhile is one call.
 */
export async function loadLocked(
  plan: Plan,
  thisArg: unknown,
  args: readonly unknown[],
  key: string,
): Promise<unknown> {
  const lockKey = `${INTERNAL_PREFIX}lock:${key}`;
  const token = crypto.randomUUID();
  const deadline = Date.now() + LOCK_TTL_MS;
  while (Date.now() < deadline) {
    const got = await plan.cache.setLockUnlessStored(lockKey, key, token, LOCK_TTL_MS, plan.strategy);
    if (got === true) {
      return releasingAfter(
        plan.cache.routeFor(lockKey),
        lockKey,
        () => plan.loadNow(thisArg, args, key),
        () => plan.cache.unlock(lockKey, token),
      );
    }
    if (got !== false) return unwrapFailure(got.value, plan.condition?.exceptions);
    await sleep(LOCK_STEP_MS);
  }
  return plan.loadNow(thisArg, args, key); // the holder vanished: load rather than wait forever
}

/** `value`, or the error it holds when it is a cached failure, thrown (with its class back; see `failureOf`). */
export function unwrapFailure(value: unknown, exceptions?: readonly ErrorClass[]): unknown {
  const failed = failureOf(value, exceptions);
  if (failed !== undefined) throw failed.error;
  return value;
}
