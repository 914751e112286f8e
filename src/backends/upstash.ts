// `upstash://` on Node, Bun, Deno and browsers: Redis over HTTP through `@upstash/redis`.
// Workers resolve `isocache/backends/upstash` to `upstash.workerd.ts` instead (the Cloudflare
// entry of the client), which exports the same names.
import { Redis } from "@upstash/redis";
import { upstashExports } from "./upstash-exports";

export { UpstashBackend } from "./upstash-backend";
export type { UpstashExports } from "./upstash-exports";
export type { UpstashBackendOptions } from "./upstash-url";

export const { createUpstashBackend, upstashBackend, upstash } = upstashExports(
  (config) => new Redis(config),
);
