// The cache's reads that may end in a load or a lock rather than a value: `getOrSet` on one
// route, a loader timed for `stats()`, and `lock: true`'s take-the-lock-unless-stored. The
// cache's state they touch (router, stats, single-flight, locks) comes in as arguments.
import type { StatsCounter } from "../features/stats";
import { NOT_NATIVE } from "./atomic";
import type { CacheKernel } from "./cache-kernel";
import type { GetOrSetOptions } from "./cache-options";
import type { CacheLocks } from "./locks";
import { decodeValue, MISS, readValue } from "./records";
import type { Route } from "./route";
import type { Router } from "./router";
import { isDisabled } from "./scope";
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

/**
 * `CacheKernel.setLockUnlessStored`: one atomic call where both keys live on a backend with
 * `lockUnlessStored` and nothing in scope must see the commands apart, else `setLock`, then a
 * read of `key`.
 */
export async function lockUnlessStored(
  cache: CacheKernel,
  router: Router,
  locks: CacheLocks,
  stats: StatsCounter,
  lockKey: string,
  key: string,
  token: string,
  ttl: number,
  name: string,
): Promise<boolean | { value: unknown }> {
  const scope = cache.scope();
  const route = router.route(key);
  if (
    scope.tx === undefined &&
    scope.callbacks === undefined &&
    !isDisabled(scope, "setLock") &&
    router.route(lockKey) === route &&
    // Once the backend is up its atomic methods are known: without this one, the attempt would
    // show middlewares a `setLock` that does nothing before the real one.
    (route.backend.lockUnlessStored !== undefined || !route.initialised)
  ) {
    const found = await locks.lockUnlessStored(route, lockKey, key, token, ttl);
    if (typeof found === "boolean") return found;
    if (found !== NOT_NATIVE) {
      const value = await decodeValue(route, cache.clock, key, found.value);
      if (value !== MISS) {
        stats.hits++;
        cache.recordHit(key, name, undefined, route.backend.name);
        return { value };
      }
    }
  }
  const taken = await cache.setLock(lockKey, token, ttl);
  let value: unknown;
  try {
    value = await cache.fetch(key, name, undefined);
  } catch (error) {
    // The caller never learns it holds the lock: left, it would stall every process for its TTL.
    if (taken) await cache.unlock(lockKey, token).catch(() => undefined);
    throw error;
  }
  if (value === MISS) return taken;
  if (taken) await cache.unlock(lockKey, token);
  return { value };
}
