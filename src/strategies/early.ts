import type { TtlOption } from "../core/durations";
import type { FeatureCache } from "../features/feature-cache";
import { internalKey, isStamped, refreshOnce, StampedLoader, whereOf } from "./_meta";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";

/** Options of `early`. */
export type EarlyOptions = StrategyOptions<never[]> & {
  /** Age after which a stored value is refreshed in the background; positive and shorter than `ttl`. */
  earlyTtl: TtlOption<never[]>;
};

/**
 * Serves the stored value until `ttl`, and once it is `earlyTtl` old starts exactly one background
 * refresh per key (in-process through single-flight, across processes through an internal lock
 * `__isocache__:early:<key>` held for `earlyTtl` and released early only when the refresh
 * fails), handed to the `waitUntil` in scope through `cache.background`. The record under the
 * call's key is `{ value, refreshAt }` (see `Stamped`), `refreshAt` in epoch ms on the cache's
 * clock. A failing background refresh keeps the stored value and is reported, never cached;
 * the next call after it tries again.
 * @example
 * const feed = cache.early({ ttl: "10m", earlyTtl: "8m" })(async function feed(user: string) { … });
 */
export function early(cache: FeatureCache, options: EarlyOptions): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "early");
    const where = whereOf("early", options, site);
    const loader = new StampedLoader(plan, options, {
      window: options.earlyTtl,
      what: "earlyTtl",
      where,
      freshOnly: false,
    });
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, async (key) => {
          const stored = await plan.read(key, args);
          if (!isStamped(stored)) return loader.load(thisArg, args, key);
          if (cache.clock.now() >= stored.refreshAt) refreshLater(loader, thisArg, args, key);
          return stored.value;
        }),
      extras: loader.extras(),
    };
  }) as StrategyDecorator;
}

/** Starts the key's background refresh unless this cache already runs one. */
function refreshLater(loader: StampedLoader, thisArg: unknown, args: unknown[], key: string): void {
  refreshOnce(loader.plan.cache, internalKey("early-refresh", key), `early refresh of "${key}"`, () =>
    refresh(loader, thisArg, args, key),
  );
}

/** Refreshes unless another process holds the key's refresh lock. */
async function refresh(loader: StampedLoader, thisArg: unknown, args: unknown[], key: string): Promise<void> {
  const cache = loader.plan.cache;
  const lockKey = internalKey("early", key);
  const token = crypto.randomUUID();
  // Rendered before the lock and the run: a refresh refused for a bad tag leaves no lock behind.
  const rendering = loader.plan.tagsOf(args);
  const tags = rendering === undefined ? undefined : await rendering;
  if (!(await cache.setLock(lockKey, token, loader.windowOf(args)))) return;
  await loader.plan.withTicket(key, async (ticket) => {
    let done: { value: unknown; elapsed: number };
    try {
      done = await loader.plan.execute(thisArg, args);
    } catch (error) {
      await cache.unlock(lockKey, token);
      throw error;
    }
    // The lock stays until it expires: a process that read the old value meanwhile must not refresh again.
    await loader.store(key, args, done, ticket, tags);
  });
}
