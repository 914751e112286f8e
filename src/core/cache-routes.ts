// The cache's routes as a whole: the route made from what `setup` was given, and the commands
// that visit every distinct backend once.

import type { Platform } from "./cache-options";
import type { Clock } from "./clock";
import { Route } from "./route";
import { resolveSetup, type SetupOptions, type SetupTarget } from "./setup";

/** The route `setup(target, options)` adds on `platform`; throws `CacheConfigError` for a bad target or option. */
export function setupRoute(
  platform: Platform,
  clock: Clock,
  target: SetupTarget,
  options: SetupOptions,
): Route {
  const { runtime, schemes, adapters } = platform;
  return new Route(resolveSetup({ runtime, schemes, adapters, clock }, target, options), clock);
}

/** Removes every key from the backend of each of `routes`. */
export async function clearRoutes(routes: readonly Route[]): Promise<void> {
  await Promise.all(
    routes.map((route) =>
      route.run("clear", undefined, [], () =>
        route.call("clear", undefined, undefined, (backend) => backend.clear()),
      ),
    ),
  );
}

/** Number of keys over the backends of `routes`. */
export async function countKeys(routes: readonly Route[]): Promise<number> {
  const counts = await Promise.all(
    routes.map((route) =>
      route.run("getKeysCount", undefined, [], () =>
        route.call("getKeysCount", undefined, 0, (backend) => backend.count()),
      ),
    ),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
