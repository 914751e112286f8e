// `upstash://` on Node, Bun, Deno and browsers: Redis over HTTP through `@upstash/redis`.
// Workers resolve `isocache/backends/upstash` to `upstash.workerd.ts` instead (the Cloudflare
// entry of the client), which exports the same names.
import { Redis } from "@upstash/redis";
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
