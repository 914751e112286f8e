import type { Context } from "hono";
import { parseDirectives, parseList } from "./headers";
import type { CachedResponse } from "./state";

// RFC 9110 §7.6.1: these describe one connection, not the response, so a replay must not carry them.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
// Recomputed on replay (length from the stored body, age and x-cache by the middleware), or never stored.
const NOT_REPLAYED = new Set(["content-length", "age", "x-cache", "set-cookie", "set-cookie2"]);

/**
 * The headers of `headers` that are safe to replay to another client, less those it has as the
 * request had them before the route ran (`inherited`): they belong to that request, and a hit
 * takes its own request's instead (see `requestOwnHeaders`). Content-Type stays, as it describes the body.
 */
export function replayableHeaders(headers: Headers, inherited?: Headers): [string, string][] {
  const perConnection = new Set(parseList(headers.get("connection")));
  const kept: [string, string][] = [];
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NOT_REPLAYED.has(lower) || perConnection.has(lower)) return;
    if (lower !== "content-type" && inherited?.get(lower) === value) return;
    kept.push([lower, value]);
  });
  return kept;
}

/**
 * The headers middleware before `cacheResponse` gave this request (`requestId()`, `cors()`, any
 * `c.header()` before `next()`), read without making Hono build `c.res`, which would change how
 * it merges them into the route's response. On @hono/node-server they are the live Headers the
 * route goes on writing to: copy them to keep them as they are now.
 */
export function requestOwnHeaders(c: Context): Headers {
  return c.newResponse(null, 200).headers;
}

/**
 * Why `response` must not be stored, or `undefined` when it may: a status outside `statuses`,
 * `Set-Cookie`, `Clear-Site-Data`, `Cache-Control: private|no-store|no-cache`, or a `Vary`
 * naming a header the key does not include (`*` included), since the stored copy would then be
 * served to requests it does not fit.
 */
export function unstorableReason(
  response: Response,
  statuses: ReadonlySet<number>,
  vary: ReadonlySet<string>,
): string | undefined {
  if (!statuses.has(response.status)) return `status ${response.status}`;
  const headers = response.headers;
  if (headers.has("set-cookie") || headers.getSetCookie?.().length) return "Set-Cookie";
  let reason: string | undefined;
  headers.forEach((value, name) => {
    reason ??= fieldRefusal(name.toLowerCase(), value, vary);
  });
  return reason;
}

/**
 * Why a stored entry must not be replayed, or `undefined` when it may: one of its headers is one
 * `unstorableReason` keeps out of the cache. Only an entry stored before a rule existed, or
 * written to the backend by other code, has one; replayed, it would clear every client's data
 * (`Clear-Site-Data`), hand one client's cookie or private page to all, or serve a variant to
 * requests it does not fit. One pass over the entry's few headers, on every hit.
 */
export function unservableReason(entry: CachedResponse, vary: ReadonlySet<string>): string | undefined {
  for (const [name, value] of entry.headers) {
    const reason = fieldRefusal(name.toLowerCase(), value, vary);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

// Cheap test before the parse: most stored Cache-Control values (`public, max-age=60`) have none of these.
const REFUSED_DIRECTIVE = /private|no-store|no-cache/i;

/** Why a response with the field `name` (lower-case) set to `value` must not be stored nor replayed. */
function fieldRefusal(name: string, value: string, vary: ReadonlySet<string>): string | undefined {
  switch (name) {
    case "set-cookie":
    case "set-cookie2":
      return "Set-Cookie";
    // Replayed, it would clear the data of every client served the copy (their cookies, their storage).
    case "clear-site-data":
      return "Clear-Site-Data";
    case "cache-control":
      return REFUSED_DIRECTIVE.test(value) ? directiveRefusal(value) : undefined;
    case "vary": {
      // A header the key does not include (`*` included): the copy would serve requests it does not fit.
      const foreign = parseList(value).find((header) => !vary.has(header));
      return foreign === undefined ? undefined : `Vary: ${foreign}`;
    }
  }
  return undefined;
}

function directiveRefusal(value: string): string | undefined {
  const directives = parseDirectives(value);
  if (directives.has("private")) return "Cache-Control: private";
  if (directives.has("no-store")) return "Cache-Control: no-store";
  // no-cache forbids reuse without revalidation, which a response cache does not do.
  if (directives.has("no-cache")) return "Cache-Control: no-cache";
  return undefined;
}

/** Reads a whole body stream into one byte array. */
export async function readAll(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

// fatal: invalid UTF-8 stays bytes; ignoreBOM: a leading BOM stays in the text, so encoding gives the same bytes.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The form a recorded body is stored in: its text when `bytes` are valid UTF-8 (so encoding the
 * text gives the same bytes back) and `headers` name a content type (a string body would
 * otherwise gain `text/plain` on replay), else the bytes themselves.
 */
export function storedBody(bytes: Uint8Array, headers: Headers): Uint8Array | string {
  if (!headers.has("content-type")) return bytes;
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes;
  }
}

/** Lower-case hex SHA-256 of `bytes` (Web Crypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  let hex = "";
  for (const byte of digest) hex += (byte < 16 ? "0" : "") + byte.toString(16);
  return hex;
}

/** True for a `CachedResponse` as `cacheResponse` stores it (anything else in the key reads as a miss). */
export function isCachedResponse(value: unknown): value is CachedResponse {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Partial<CachedResponse>;
  return (
    typeof entry.status === "number" &&
    Array.isArray(entry.headers) &&
    (entry.body instanceof Uint8Array || typeof entry.body === "string") &&
    typeof entry.digest === "string" &&
    typeof entry.storedAt === "number"
  );
}

// Statuses whose responses cannot carry a body (the Response constructor rejects one).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * True when `response` is a route's own answer to a HEAD request, without the body a GET gets
 * (as @hono/node-server's `serveStatic` answers HEAD): it is not the GET's response, so it is
 * neither stored as the GET entry nor hashed for an ETag.
 */
export function isOwnHeadAnswer(method: string, response: Response): boolean {
  return method === "HEAD" && response.body === null && !NULL_BODY.has(response.status);
}

/** The `Age` of `entry` at `now`: whole seconds since it was stored (RFC 9111 §5.1). */
export function ageOf(entry: CachedResponse, now: number): number {
  return Math.max(0, Math.floor((now - entry.storedAt) / 1000));
}

/** A fresh Response replaying `entry`, with Headers of its own. */
export function replay(entry: CachedResponse): Response {
  const body = NULL_BODY.has(entry.status) ? null : (entry.body as BodyInit);
  return new Response(body, { status: entry.status, headers: entry.headers });
}

/** The `Vary` value listing `names` on top of `current`, or `undefined` when nothing is missing. */
export function withVary(current: string | null, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const present = new Set(parseList(current));
  const missing = names.filter((name) => !present.has(name));
  if (missing.length === 0) return undefined;
  return current ? `${current}, ${missing.join(", ")}` : missing.join(", ");
}
