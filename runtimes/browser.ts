import type { CacheOptions } from "../src/core/cache";
import { fallbackContext } from "../src/core/context";
import { StrategyCache } from "../src/strategies/strategy-cache";
import { definePlatform } from "./_entry";

export * from "../src/index";

/** Which runtime entry the package resolved to: `"browser"` here. */
export const runtime = "browser";

// No AsyncLocalStorage here: sequential request scopes work, overlapping ones share the newest.
const platform = definePlatform(runtime, fallbackContext);

/**
 * An async cache over one or more backends, wired for browsers.
 * @example
 * const users = new Cache().setup("mem://?size=1000");
 */
export class Cache extends StrategyCache {
  constructor(options?: CacheOptions) {
    super(platform, options);
  }
}

/** The default cache; it uses `mem://` until `setup` says otherwise. */
export const cache: Cache = new Cache();
