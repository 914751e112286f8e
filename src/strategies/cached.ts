import { MISS } from "../core/records";
import type { FeatureCache } from "../features/feature-cache";
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
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, async (key) => {
          const hit = await plan.read(key, args);
          return hit !== MISS ? hit : plan.load(thisArg, args, key);
        }),
      extras: plan.extras(),
    };
  }) as StrategyDecorator;
}
