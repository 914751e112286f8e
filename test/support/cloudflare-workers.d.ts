// Types for the `cloudflare:workers` module inside the `workers` vitest project. We do not load
// @cloudflare/workers-types: its globals clash with the DOM lib and @types/node in tsconfig.
declare module "cloudflare:workers" {
  /** A Workers KV namespace binding, as far as the tests use it. TTLs are in seconds (minimum 60). */
  export interface TestKVNamespace {
    get(key: string, type?: "text"): Promise<string | null>;
    get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
    getWithMetadata<M = unknown>(
      key: string,
      type?: "text",
    ): Promise<{ value: string | null; metadata: M | null; cacheStatus: string | null }>;
    put(
      key: string,
      value: string | ArrayBuffer | ArrayBufferView | ReadableStream,
      options?: { expiration?: number; expirationTtl?: number; metadata?: unknown },
    ): Promise<void>;
    delete(key: string): Promise<void>;
    list<M = unknown>(options?: {
      prefix?: string | null;
      limit?: number;
      cursor?: string | null;
    }): Promise<{
      keys: { name: string; expiration?: number; metadata?: M }[];
      list_complete: boolean;
      cursor?: string;
      cacheStatus: string | null;
    }>;
  }

  /** Bindings configured in vitest.config.ts (miniflare `kvNamespaces`) and wrangler.toml. */
  export const env: { CACHE: TestKVNamespace } & Record<string, unknown>;
}
