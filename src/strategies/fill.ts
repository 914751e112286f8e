// The slow path of `cached()`: one read, then one load on a miss, shared by every caller of the
// key that arrives meanwhile, so a cold key costs one read even in the gap between the read's
// answer and the start of the load (where a busy cache used to send a second read).
import { MISS } from "../core/records";
import type { Scope } from "../core/scope";
import type { Plan } from "./plan";
import { unwrapFailure } from "./plan-load";

/** A read-then-load in flight: `hit` is known once the read answered. */
interface Fill {
  hit: boolean | undefined;
  done: Promise<unknown>;
}

/**
 * `plan.read`, then `plan.load` on a miss, as one piece of work per key on the key's route:
 * callers arriving meanwhile share it and count as hits or misses as the read turned out. A
 * write to the key drops it (as it drops shared reads), so a call after a write reads again.
 * Scopes that must see each read (a transaction, `detect`, callbacks, `invalidateFurther`) read
 * for themselves; `scope` is the call's, looked up once by `Plan.run`.
 */
export function readOrLoad(
  plan: Plan,
  thisArg: unknown,
  args: readonly unknown[],
  key: string,
  scope: Scope,
): Promise<unknown> {
  const cache = plan.cache;
  if (
    scope.invalidate ||
    scope.tx !== undefined ||
    scope.detect !== undefined ||
    scope.callbacks !== undefined
  ) {
    return readThenLoad(plan, thisArg, args, key);
  }
  const route = cache.routeFor(key);
  const shared = route.fillOf(key) as Fill | undefined;
  if (shared !== undefined) return join(plan, shared);
  const flying = cache.joinFlight(key); // a load in flight answers this call without a read
  if (flying !== undefined) {
    plan.stats.misses++;
    return flying;
  }
  // The callback runs after `fill` exists: a `then` callback never runs synchronously.
  const done = plan.lookup(key, args).then((stored) => {
    fill.hit = stored !== MISS;
    return stored === MISS
      ? plan.load(thisArg, args, key)
      : unwrapFailure(stored, plan.condition?.exceptions);
  });
  const fill: Fill = { hit: undefined, done };
  route.shareFill(key, fill, done);
  return done;
}

/** The unshared path: join a load in flight, else read, then load on a miss. */
async function readThenLoad(
  plan: Plan,
  thisArg: unknown,
  args: readonly unknown[],
  key: string,
): Promise<unknown> {
  const flying = plan.cache.joinFlight(key);
  if (flying !== undefined) {
    plan.stats.misses++;
    return flying;
  }
  const hit = await plan.read(key, args);
  return hit !== MISS ? hit : plan.load(thisArg, args, key);
}

/** Shares `fill`, counting this call as the fill's read turned out (not at all when the read failed). */
function join(plan: Plan, fill: Fill): Promise<unknown> {
  const count = () => {
    if (fill.hit === undefined) return;
    if (fill.hit) plan.stats.hits++;
    else plan.stats.misses++;
    plan.cache.countShared(fill.hit);
  };
  if (fill.hit !== undefined) {
    count();
    return fill.done;
  }
  return fill.done.then(
    (value) => {
      count();
      return value;
    },
    (error: unknown) => {
      count();
      throw error;
    },
  );
}
