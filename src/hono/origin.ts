import type { Context, Next } from "hono";
import type { Duration } from "../core/durations";
import { CacheError, errorMessage } from "../core/errors";
import type { CachedFunction } from "../strategies/types";
import {
  isCachedResponse,
  isOwnHeadAnswer,
  readAll,
  replayableHeaders,
  requestOwnHeaders,
  sha256Hex,
  storedBody,
  unstorableReason,
} from "./record";
import { rerun } from "./rerun";
import { type CachedResponse, type IsoCache, stateOf } from "./state";

/** The strategy `cacheResponse` runs the route through, with its window for `early` and `soft`. */
export type ResponseStrategy =
  | "cached"
  | "failover"
  | { name: "cached" | "failover" }
  | { name: "early"; earlyTtl: Duration }
  | { name: "soft"; softTtl: Duration };

/** What one request hands the strategy: its context, its TTL, and where a live response goes. */
export interface Handle {
  readonly c: Context;
  readonly next: Next;
  readonly ttl: number;
  readonly window: number | undefined;
  readonly statuses: ReadonlySet<number>;
  readonly vary: ReadonlySet<string>;
  /** Set when this request ran the route and got a response to send now. */
  live: Response | undefined;
  /** Settles with the strategy's outcome, or with `undefined` once `live` is set, whichever comes first. */
  readonly first: Promise<Outcome>;
  readonly settle: (outcome: Outcome) => void;
  /** Sets `live` and settles `first`. */
  readonly deliver: (response: Response) => void;
  /** The request was answered from the cache: a later origin run is a background refresh. */
  served: boolean;
  called: boolean;
  /** The failing answer of this request's run, when the strategy may fall back on the stored one. */
  failure?: Response;
  readonly early: boolean;
  /** Where `cacheResponse` is in the request's matched routes: a background refresh runs the handlers after it. */
  readonly index: number;
  /** The cache's clock. */
  readonly now: () => number;
  /** Drops the stored responses an answer of the route made stale (`dropStale` of invalidate.ts). */
  readonly dropStale: (answered: Context) => Promise<void>;
}

/** How the strategy's call ended, or `undefined` when the route's live response came first. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;

/** Not stored: the route's answer was not cacheable (the reason is for `detect` and debugging). */
export interface NotStored {
  readonly notStored: string;
}

/**
 * The route failed (threw, answered a 5xx not in `statuses`, or its body failed while recorded):
 * strategies fall back on the stored response, if any.
 */
export class OriginFailure extends CacheError {
  readonly handle: Handle;
  readonly response: Response;

  constructor(
    handle: Handle,
    response: Response,
    problem = `the route answered ${response.status}`,
    cause?: unknown,
  ) {
    super(
      errorMessage("hono", problem, "the stored response is served while there is one"),
      undefined,
      cause === undefined ? undefined : { cause },
    );
    this.handle = handle;
    this.response = response;
  }
}

/** The wrapped route: a cache strategy around `runOrigin`. */
export type WrappedOrigin = CachedFunction<(key: string, tag: string, handle: Handle) => Promise<unknown>>;

/** Wraps `runOrigin` in the chosen strategy of `cache`: key, TTL, window and tag come from each call's handle. */
export function wrapOrigin(cache: IsoCache, strategy: ResponseStrategy): WrappedOrigin {
  // Three declared parameters: the tag template "{1}" reads the second by position, which survives minifiers.
  const origin = async function cacheResponse(_key: string, _tag: string, handle: Handle) {
    return runOrigin(handle);
  };
  const common = {
    key: (key: string) => key,
    ttl: (_key: string, _tag: string, handle: Handle) => handle.ttl,
    tags: ["{1}"],
    condition: (result: unknown) => isCachedResponse(result),
    name: "cacheResponse",
  };
  const name = typeof strategy === "string" ? strategy : strategy.name;
  const window = (_key: string, _tag: string, handle: Handle) => handle.window as number;
  // biome-ignore lint/suspicious/noExplicitAny: the strategy options are typed for arbitrary wrapped functions.
  const options = common as any;
  if (name === "early") return cache.early({ ...options, earlyTtl: window })(origin) as WrappedOrigin;
  if (name === "soft") return cache.soft({ ...options, softTtl: window })(origin) as WrappedOrigin;
  if (name === "failover") {
    return cache.failover({ ...options, exceptions: [OriginFailure] })(origin) as WrappedOrigin;
  }
  return cache.cached(options)(origin) as WrappedOrigin;
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Runs the rest of the route once and records its response. In the foreground the response goes
 * to the client at once (a streamed body through one branch of a tee while the other is
 * recorded); in a background refresh (`early`, after the request was answered from the cache)
 * it is only recorded.
 */
async function runOrigin(h: Handle): Promise<CachedResponse | NotStored> {
  // `early` may call this as a background refresh while the request is still settling its hit;
  // one macrotask lets the middleware mark the request served first, so this run knows it is one.
  if (h.early) await macrotask();
  if (h.called)
    throw new CacheError(errorMessage("hono", "the route ran twice for one request", "report this"));
  h.called = true;
  const background = h.served;
  // A background run's fresh context has none of the request's own headers; a foreground one's are left out of the entry.
  const inherited = background ? undefined : new Headers(requestOwnHeaders(h.c));
  const c = background ? await rerun(h.c, h.index) : await h.next().then(() => h.c);
  const response = c.res;
  // Nobody sends a background run's answer, so nothing else obeys its `Clear-Site-Data: "cache"`.
  if (background) await h.dropStale(c);
  // A 5xx is the route failing (strategies fall back on the stored response), unless the user
  // listed that status in `statuses`: then it is an answer like any other.
  if (c.error !== undefined || (response.status >= 500 && !h.statuses.has(response.status))) {
    // In a background refresh nobody will read this answer; in the foreground the middleware
    // sends it, or cancels it when the strategy serves the stored response instead.
    if (background) await response.body?.cancel();
    else h.failure = response;
    throw new OriginFailure(h, response);
  }
  const reason =
    unstorableReason(response, h.statuses, h.vary) ??
    (isOwnHeadAnswer(c.req.method, response) ? "a HEAD answer without the GET's body" : undefined);
  if (reason !== undefined) {
    if (background) await response.body?.cancel();
    else h.deliver(response);
    return { notStored: reason };
  }
  return record(h, response, background, inherited);
}

async function record(
  h: Handle,
  response: Response,
  background: boolean,
  inherited: Headers | undefined,
): Promise<CachedResponse> {
  let finish: (digest: string | undefined) => void = () => {};
  if (!background) {
    stateOf(h.c).digest = new Promise((resolve) => {
      finish = resolve;
    });
  }
  try {
    let body = response.body;
    if (!background) {
      if (body !== null) {
        const [toClient, toRecord] = body.tee();
        h.deliver(new Response(toClient, response));
        body = toRecord;
      } else h.deliver(response);
    }
    const bytes = await readBody(h, response, body);
    const digest = await sha256Hex(bytes);
    finish(digest);
    const now = h.now();
    return {
      status: response.status,
      headers: replayableHeaders(response.headers, inherited),
      body: storedBody(bytes, response.headers),
      digest,
      storedAt: now,
      expiresAt: now + h.ttl,
    };
  } finally {
    finish(undefined);
  }
}

/**
 * The recorded body, whole. A body that errors midway is the route failing, not the cache: its
 * client got the broken stream already, nothing is stored, and requests that joined this run
 * run the route themselves (see `OriginFailure`) instead of failing with the stream's error.
 */
async function readBody(
  h: Handle,
  response: Response,
  body: ReadableStream<Uint8Array> | null,
): Promise<Uint8Array> {
  try {
    return await readAll(body);
  } catch (error) {
    throw new OriginFailure(h, response, "the route's response body failed while it was recorded", error);
  }
}
