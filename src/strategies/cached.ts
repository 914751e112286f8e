import { MISS, NOT_SYNC } from "../core/records";
import type { Scope } from "../core/scope";
import type { FeatureCache } from "../features/feature-cache";
import { failureOf } from "./conditions";
import { adapt } from "./decorate";
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
    const slow = async (key: string, thisArg: unknown, args: unknown[]) => {
      // A load already running for this key answers this call too, without another read.
      const flying = plan.cache.joinFlight(key);
      if (flying !== undefined) {
        plan.stats.misses++;
        return flying;
      }
      const hit = await plan.read(key, args);
      return hit !== MISS ? hit : plan.load(thisArg, args, key);
    };
    // A memory hit is answered with one promise; everything else takes the async path. Made
    // once per wrapped function, so a call allocates no closure.
    const body = (key: string, thisArg: unknown, args: unknown[], scope: Scope) => {
      const hit = plan.readSync(key, scope);
      if (hit === NOT_SYNC) return slow(key, thisArg, args);
      if (hit === MISS) return plan.load(thisArg, args, key);
      const failed = failureOf(hit);
      return failed === undefined ? Promise.resolve(hit) : Promise.reject(failed.error);
    };
    return {
      call: (thisArg, args) => plan.run(thisArg, args, body),
      extras: plan.extras(),
    };
  }) as StrategyDecorator;
}
