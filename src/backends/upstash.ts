// `upstash://` on Node, Bun, Deno and browsers: Redis over HTTP through `@upstash/redis`.
// Workers resolve `isocache/backends/upstash` to `upstash.workerd.ts` instead (the Cloudflare
// entry of the client), which exports the same names.
import { Redis } from "@upstash/redis";
import { Redis as FetchOnlyRedis } from "@upstash/redis/cloudflare";
import type { UpstashClientConfig } from "./upstash-client";
import { upstashExports } from "./upstash-exports";

export { UpstashBackend } from "./upstash-backend";
export type { UpstashExports } from "./upstash-exports";
export type { UpstashBackendOptions } from "./upstash-url";

// What the default client reads from process.env as it is built (to name the platform in its
// telemetry headers, whether or not telemetry is on), measured in @upstash/redis 1.39.
const CLIENT_ENV = ["UPSTASH_DISABLE_TELEMETRY", "UPSTASH_CONSOLE", "VERCEL", "AWS_REGION"];

interface DenoPermissions {
  querySync(descriptor: { name: "env"; variable: string }): { state: string };
}

/**
 * Whether Deno would refuse (or prompt for) a read of any of `CLIENT_ENV`: with only
 * `--allow-env=UPSTASH_REDIS_REST_URL,UPSTASH_REDIS_REST_TOKEN`, or none, building the default
 * client would throw NotCapable. Querying asks no question and reads nothing.
 */
function denoRefusesClientEnv(): boolean {
  const permissions = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno?.permissions;
  if (typeof permissions?.querySync !== "function") return false;
  return CLIENT_ENV.some((variable) => permissions.querySync({ name: "env", variable }).state !== "granted");
}

/**
 * The default client, or where Deno may not read the variables it reads, the fetch-only client
 * of the Cloudflare entry, which reads no environment (its requests are the same).
 */
function connect(config: UpstashClientConfig) {
  return denoRefusesClientEnv() ? new FetchOnlyRedis(config) : new Redis(config);
}

export const { createUpstashBackend, upstashBackend, upstash } = upstashExports(connect);
