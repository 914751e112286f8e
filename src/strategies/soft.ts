import type { TtlOption } from "../core/durations";
import type { FeatureCache } from "../features/feature-cache";
import { isStamped, type Stamped, StampedLoader, whereOf } from "./_meta";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";

/** Options of `soft`. */
export type SoftOptions = StrategyOptions<never[]> & {
  /** Age after which the caller recomputes; positive and shorter than `ttl`. */
  softTtl: TtlOption<never[]>;
};

/**
 * Serves the stored value while it is younger than `softTtl`; after that the caller recomputes
 * (concurrent callers share one execution) and, when that throws, gets the stale value instead,
 * until `ttl` ends the record and errors propagate. The record under the call's key is
 * `{ value, refreshAt }` (see `Stamped`), `refreshAt` in epoch ms on the cache's clock.
 * `stats()` counts a recomputed call as a miss and a stale fallback as a hit.
 * @example
 * const prices = cache.soft({ ttl: "1h", softTtl: "1m" })(async function prices(market: string) { … });
 */
export function soft(cache: FeatureCache, options: SoftOptions): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "soft");
    const where = whereOf("soft", options, site);
    const loader = new StampedLoader(plan, options, {
      window: options.softTtl,
      what: "softTtl",
      where,
      freshOnly: true,
    });
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, async (key) => {
          const stored = await plan.read(key, args);
          if (!isStamped(stored)) return loader.load(thisArg, args, key);
          if (cache.clock.now() < stored.refreshAt) return stored.value;
          return recompute(loader, thisArg, args, key, stored);
        }),
      extras: loader.extras(),
    };
  }) as StrategyDecorator;
}

/** A stale call: recompute, or serve the stale value when that throws. */
async function recompute(
  loader: StampedLoader,
  thisArg: unknown,
  args: unknown[],
  key: string,
  stale: Stamped,
): Promise<unknown> {
  const stats = loader.plan.stats;
  stats.hits--;
  stats.misses++;
  try {
    // The stale value answers a failure: an error a condition caches must not replace it.
    return await loader.load(thisArg, args, key, true);
  } catch {
    stats.misses--;
    stats.hits++;
    return stale.value;
  }
}
