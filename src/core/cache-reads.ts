// The cache's reads that may end in a load rather than a value: `getOrSet` on one route and a
// loader timed for `stats()`. The cache's state they touch (stats, single-flight) comes in as
// arguments.
import type { StatsCounter } from "../features/stats";
import type { CacheKernel } from "./cache-kernel";
import type { GetOrSetOptions } from "./cache-options";
import { MISS, readValue } from "./records";
import type { Route } from "./route";
import type { SingleFlight } from "./single-flight";

/**
 * `getOrSet` on `route`, outside any transaction: the stored value (a hit), else one run of
 * `factory` shared by concurrent misses, stored with `ttl` and `options.tags`.
 */
export async function getOrSetOn<T>(
  cache: CacheKernel,
  route: Route,
  stats: StatsCounter,
  flight: SingleFlight,
  key: string,
  factory: () => T | Promise<T>,
  ttl: number | undefined,
  options: GetOrSetOptions,
): Promise<T> {
  const cached = await readValue(route, cache.clock, key);
  if (cached !== MISS) {
    stats.hits++;
    cache.recordHit(key, "getOrSet", ttl, route.backend.name);
    return cached as T;
  }
  stats.misses++;
  return flight.run(
    key,
    async (ticket) => {
      const value = await cache.load(factory);
      // A write to the key while the factory ran (an invalidation) wins over its result.
      if (!route.outdated(ticket, options.tags)) await cache.write(key, value, ttl, options.tags);
      return value;
    },
    route,
  );
}

/** Runs a loader and records its time and outcome in `stats`. */
export async function timedLoad<T>(stats: StatsCounter, loader: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const value = await loader();
    stats.load(Date.now() - started, false);
    return value;
  } catch (error) {
    stats.load(Date.now() - started, true);
    throw error;
  }
}
