// isocache/hono: response caching, ETags and Cache-Control handling for Hono, on every runtime Hono serves.

export type { CacheControlTtlOptions } from "./cache-control";
export { cacheControl, cacheControlTtl } from "./cache-control";
export { cacheDelete } from "./cache-delete";
export { cacheResponse } from "./cache-response";
export type { EtagOptions } from "./etag";
export { etag } from "./etag";
export type { ResponseKey } from "./key";
export type { ResponseStrategy } from "./origin";
export type { CacheResponseOptions, ResponseTtl } from "./response-config";
export { cacheContext } from "./scope";
export type { CachedResponse, CacheVariables, IsoCache } from "./state";
