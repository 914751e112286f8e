import type { CacheOptions } from "../src/core/cache";
import { StrategyCache } from "../src/strategies/strategy-cache";
import { serverPlatform } from "./_server";

export * from "../src/index";

/** Which runtime entry the package resolved to: `"node"` here. */
export const runtime = "node";

const platform = serverPlatform(runtime);

/**
 * An async cache over one or more backends, wired for Node.
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
