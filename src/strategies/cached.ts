import { MISS, NOT_SYNC } from "../core/records";
import type { Scope } from "../core/scope";
import type { FeatureCache } from "../features/feature-cache";
import { failureOf } from "./conditions";
import { adapt } from "./decorate";
import { readOrLoad } from "./fill";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";

/**
 * Executes, stores the result for `ttl`, and serves it from cache until then. Concurrent calls
 * that miss the same key share one execution; `lock: true` extends that across processes.
 * @example
 * const getUser = cache.cached({ ttl: "3h", key: "user:{id}" })(async function getUser(id: string) { … });
 */
export function cached(cache: FeatureCache, options: StrategyOptions<never[]> = {}): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "cached");
    // Concurrent callers of a key share one read and one load (see `readOrLoad`).
    const slow = (key: string, thisArg: unknown, args: unknown[], scope: Scope) =>
      readOrLoad(plan, thisArg, args, key, scope);
    // A memory hit is answered with one promise; everything else takes the async path. Made
    // once per wrapped function, so a call allocates no closure.
    const body = (key: string, thisArg: unknown, args: unknown[], scope: Scope) => {
      const hit = plan.readSync(key, scope);
      // `typeof` first: see `isReadValue`.
      if (typeof hit === "symbol") {
        if (hit === NOT_SYNC) return slow(key, thisArg, args, scope);
        if (hit === MISS) return plan.load(thisArg, args, key);
      }
      const failed = failureOf(hit, plan.condition?.exceptions);
      return failed === undefined ? Promise.resolve(hit) : Promise.reject(failed.error);
    };
    return {
      call: (thisArg, args) => plan.run(thisArg, args, body),
      extras: plan.extras(),
    };
  }) as StrategyDecorator;
}
