// `upstash://` on Cloudflare Workers: the same backend over `@upstash/redis/cloudflare`, whose fetch
// options workerd accepts at any compatibility date (the Node entry passes `cache: "no-store"`, which
// older dates reject: "The 'cache' field on 'RequestInitializerDict' is not implemented", seen at
// 2024-01-01). Same exports as `upstash.ts`; the `workerd` export condition picks this file.
import { Redis } from "@upstash/redis/cloudflare";
import { upstashExports } from "./upstash-exports";

export { UpstashBackend } from "./upstash-backend";
export type { UpstashExports } from "./upstash-exports";
export type { UpstashBackendOptions } from "./upstash-url";

export const { createUpstashBackend, upstashBackend, upstash } = upstashExports(
  (config) => new Redis(config),
);
