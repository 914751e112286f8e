import type { ContextStore } from "../src/core/context";
import { fallbackContext } from "../src/core/context";
import type { CacheOptions } from "../src/core/cache";
import { StrategyCache } from "../src/strategies/strategy-cache";
import { definePlatform } from "./_entry";

export * from "../src/index";

/** Which runtime entry the package resolved to: `"workerd"` here. */
export const runtime = "workerd";

// workerd exposes AsyncLocalStorage as a global under `nodejs_compat` / `nodejs_als`; reading the
// global keeps `node:` imports out of the Workers bundle.
type AlsConstructor = new <T>() => ContextStore<T>;
const Als = (globalThis as { AsyncLocalStorage?: AlsConstructor }).AsyncLocalStorage;

const platform = definePlatform(runtime, Als === undefined ? fallbackContext : () => new Als());

/**
 * An async cache over one or more backends, wired for Cloudflare Workers. Request-scoped features
 * need `compatibility_flags = ["nodejs_compat"]`.
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
