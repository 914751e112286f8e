// The `upstash://` scheme as the Node, Bun and Deno entries serve it: the URL is checked at
// `setup`, and `@upstash/redis` is imported on the first command only. Kept apart from
// `upstash-url.ts` so the Workers build of the backend never sees the Node client's import.
import { lazyScheme } from "../core/lazy";
import type { SchemeFactory } from "../core/setup";
import { readUpstashUrl, upstashCapabilities } from "./upstash-url";

/** `upstash://?url=…&token=…`, loading the client on first use. */
export const lazyUpstashScheme: SchemeFactory = lazyScheme(
  "upstash",
  readUpstashUrl,
  upstashCapabilities,
  async () => (await import("./upstash")).createUpstashBackend,
);
