// `upstash://` on Cloudflare Workers: the same backend over `@upstash/redis/cloudflare`, whose fetch
// options workerd accepts at any compatibility date (the Node entry passes `cache: "no-store"`, which
// older dates reject: "The 'cache' field on 'RequestInitializerDict' is not implemented", seen at
// 2024-01-01). Same exports as `upstash.ts`; the `workerd` export condition picks this file.
import { Redis } from "@upstash/redis/cloudflare";
import type { BackendScheme } from "../core/lazy";
import type { Backend } from "../core/types";
import { UpstashBackend, type UpstashClientConfig } from "./upstash-backend";
import {
  type ResolvedUpstashOptions,
  readUpstashUrl,
  resolveUpstashOptions,
  type UpstashBackendOptions,
  upstashCapabilities,
} from "./upstash-url";

export { UpstashBackend } from "./upstash-backend";
export type { UpstashBackendOptions } from "./upstash-url";

const connect = (config: UpstashClientConfig): Redis => new Redis(config);

/** Builds the backend from resolved options; the runtime entries' lazy `upstash://` scheme calls it. */
export function createUpstashBackend(options: ResolvedUpstashOptions): Backend {
  return new UpstashBackend(options, connect);
}

/**
 * An Upstash Redis backend (REST); `url` and `token` default to `UPSTASH_REDIS_REST_URL` and
 * `UPSTASH_REDIS_REST_TOKEN`. Opens nothing until the first command.
 * @example
 * import { upstashBackend } from "isocache/backends/upstash";
 * cache.setup(upstashBackend({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }));
 */
export function upstashBackend(options: UpstashBackendOptions = {}): Backend {
  return createUpstashBackend(resolveUpstashOptions(options));
}

/**
 * The `upstash://` scheme, for `registerScheme` where the runtime entry does not load clients
 * itself (Workers, browsers).
 * @example
 * import { registerScheme } from "isocache";
 * import { upstash } from "isocache/backends/upstash";
 * registerScheme(upstash);
 * cache.setup("upstash://?url=https://…upstash.io&token=…");
 */
export const upstash: BackendScheme<ResolvedUpstashOptions> = {
  scheme: "upstash",
  fromUrl: readUpstashUrl,
  capabilities: upstashCapabilities,
  create: createUpstashBackend,
};
