import { cloudflareKv, cloudflareKvAdapter } from "../src/backends/cloudflare-kv-setup";
import type { CacheOptions } from "../src/core/cache";
import type { ContextStore } from "../src/core/context";
import { fallbackContext } from "../src/core/context";
import { StrategyCache } from "../src/strategies/strategy-cache";
import { definePlatform } from "./_entry";

export * from "../src/index";

/** Which runtime entry the package resolved to: `"workerd"` here. */
export const runtime = "workerd";

type AsyncHooks = { AsyncLocalStorage: new <T>() => ContextStore<T> };
type WorkerdProcess = { getBuiltinModule?(id: string): unknown };

// Under `nodejs_compat` workerd serves AsyncLocalStorage through `process.getBuiltinModule`; asking
// for it there (instead of an import) keeps the Workers bundle free of `node:` imports and lets
// a worker without the flag load, with the fallback context.
function workerdContext<T>(): ContextStore<T> {
  const process = (globalThis as { process?: WorkerdProcess }).process;
  const hooks = process?.getBuiltinModule?.("async_hooks") as AsyncHooks | undefined;
  return hooks === undefined ? fallbackContext<T>() : new hooks.AsyncLocalStorage<T>();
}

// KV needs no client package, so the entry serves kv://BINDING and setup({ kv: env.CACHE }) itself.
const platform = definePlatform(
  runtime,
  workerdContext,
  {
    kv: (url, params, env) => cloudflareKv.create(cloudflareKv.fromUrl(url, params), env),
  },
  [cloudflareKvAdapter],
);

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
