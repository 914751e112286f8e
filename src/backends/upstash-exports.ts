// The public names of `isocache/backends/upstash`, built around whichever `@upstash/redis` entry
// the platform file imports (`upstash.ts`: the default one; `upstash.workerd.ts`: the Cloudflare one).
import type { BackendScheme } from "../core/lazy";
import type { Backend } from "../core/types";
import { UpstashBackend } from "./upstash-backend";
import type { UpstashClientFactory } from "./upstash-client";
import {
  type ResolvedUpstashOptions,
  readUpstashUrl,
  resolveUpstashOptions,
  type UpstashBackendOptions,
  upstashCapabilities,
} from "./upstash-url";

/** What `isocache/backends/upstash` exports on every platform. */
export interface UpstashExports {
  /** Builds the backend from resolved options; the runtime entries' lazy `upstash://` scheme calls it. */
  createUpstashBackend(options: ResolvedUpstashOptions): Backend;
  /**
   * An Upstash Redis backend (REST); `url` and `token` default to `UPSTASH_REDIS_REST_URL` and
   * `UPSTASH_REDIS_REST_TOKEN`. Opens nothing until the first command.
   * @example
   * import { upstashBackend } from "isocache/backends/upstash";
   * cache.setup(upstashBackend({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }));
   */
  upstashBackend(options?: UpstashBackendOptions): Backend;
  /**
   * The `upstash://` scheme, for `registerScheme` where the runtime entry does not load clients
   * itself (Workers, browsers).
   * @example
   * import { registerScheme } from "isocache";
   * import { upstash } from "isocache/backends/upstash";
   * registerScheme(upstash);
   * cache.setup("upstash://?url=https://…upstash.io&token=…");
   */
  readonly upstash: BackendScheme<ResolvedUpstashOptions>;
}

/** The exports of the subpath over one client entry. */
export function upstashExports(connect: UpstashClientFactory): UpstashExports {
  const createUpstashBackend = (options: ResolvedUpstashOptions): Backend =>
    new UpstashBackend(options, connect);
  return {
    createUpstashBackend,
    upstashBackend: (options = {}) => createUpstashBackend(resolveUpstashOptions(options)),
    upstash: {
      scheme: "upstash",
      fromUrl: readUpstashUrl,
      capabilities: upstashCapabilities,
      create: createUpstashBackend,
    },
  };
}
