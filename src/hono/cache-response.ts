import type { Context, MiddlewareHandler, Next } from "hono";
import { CacheBackendError } from "../core/errors";
import { clearsCache, deltaSeconds } from "./headers";
import { dropStale } from "./invalidate";
import { type Handle, OriginFailure, type Outcome, type WrappedOrigin, wrapOrigin } from "./origin";
import { ageOf, isCachedResponse, replay, requestOwnHeaders, unservableReason, withVary } from "./record";
import { type CacheResponseOptions, type Config, configure } from "./response-config";
import { inRequestScope, resolveCache } from "./scope";
import { type CachedResponse, type CacheVariables, type IsoCache, type RequestState, stateOf } from "./state";

// Credentials identify a user: a response to them is stored and served only when keyed by them.
const CREDENTIALS = ["authorization", "cookie"];

/**
 * Caches whole responses of a route (status, replay-safe headers, body; a streamed body is
 * recorded while it streams to the first client) and answers `X-Cache: HIT` or `MISS`. Never
 * stores a response with `Set-Cookie`, `Clear-Site-Data` or `Cache-Control: private|no-store`,
 * and never serves or stores for a request with `Authorization` or `Cookie` unless that header is
 * in `vary`; a stored entry carrying one of those headers (left by other code) is never replayed:
 * the route answers and the entry is dropped. A write through it (POST, PUT, PATCH, DELETE) that
 * succeeds, and any answer with `Clear-Site-Data: "cache"` (a background refresh's and a failing
 * one's too), drop the stored responses of the request's URL.
 * @example
 * app.get("/products", cacheResponse({ cache, ttl: "5m", strategy: { name: "early", earlyTtl: "4m" } }), listProducts);
 */
export function cacheResponse<C extends IsoCache = IsoCache>(
  options: CacheResponseOptions<C>,
): MiddlewareHandler<{ Variables: CacheVariables<C> }> {
  const config = configure(options);
  const wrapped = new WeakMap<IsoCache, WrappedOrigin>();
  return async function cacheResponseMiddleware(c, next) {
    const cache = resolveCache(c, options.cache, "cacheResponse");
    let route = wrapped.get(cache);
    if (route === undefined) {
      route = wrapOrigin(cache, config.strategy);
      wrapped.set(cache, route);
    }
    const origin = route;
    await inRequestScope(c, cache, () => serve(c, next, cache, config, origin));
  };
}

/** Why this request must not use the cache at all, or `undefined`. */
function bypassReason(c: Context, state: RequestState, config: Config): string | undefined {
  for (const name of CREDENTIALS) {
    if (c.req.header(name) !== undefined && !config.varySet.has(name)) return name;
  }
  if (state.directives?.has("no-store")) return "no-store";
  return undefined;
}

/** The request asks for a fresh answer: `no-cache`, `max-age=0`, or `Clear-Site-Data: "cache"`. */
function wantsFresh(state: RequestState): boolean {
  const directives = state.directives;
  if (state.replace === true) return true;
  return (
    directives !== undefined && (directives.has("no-cache") || deltaSeconds(directives, "max-age") === 0)
  );
}

/**
 * Starts the strategy's call for one request, or a fresh run of the route when the request asked
 * for one, and settles the handle's `first` with its outcome.
 */
function start(
  cache: IsoCache,
  origin: WrappedOrigin,
  key: string,
  base: string,
  handle: Handle,
  fresh: boolean,
): Promise<unknown> {
  let call: Promise<unknown>;
  if (fresh) {
    // A run of the key still in flight (a miss recording its body, an early refresh) began
    // before this request asked for a fresh answer: it must not store after this one, and it
    // must not hold this one's store back either (runs of a key share one claim on it, which
    // the first store to land invalidates). Dropping its claim does both.
    cache.routeFor(key).staleLoads((one) => one === key);
    call = origin.refresh(key, base, handle);
  } else call = origin(key, base, handle);
  // One promise settles with whichever comes first: the route's live response (a miss this
  // request ran) or the strategy's result (a hit, or another request's run it joined).
  call.then(
    (value) => handle.settle({ ok: true, value }),
    (error: unknown) => handle.settle({ ok: false, error }),
  );
  return call;
}

/**
 * A stored entry older than the request's `max-age=N` allows, or nearer its expiry than its
 * `min-fresh=N` (RFC 9111 5.2.1.1 and 5.2.1.3); ages in whole seconds, as the `Age` header.
 */
function tooOldFor(state: RequestState, entry: CachedResponse, now: number): boolean {
  const directives = state.directives;
  if (directives === undefined) return false;
  const maxAge = deltaSeconds(directives, "max-age");
  if (maxAge !== undefined && ageOf(entry, now) > maxAge) return true;
  const minFresh = deltaSeconds(directives, "min-fresh");
  return minFresh !== undefined && entry.expiresAt - now < minFresh * 1000;
}

async function serve(c: Context, next: Next, cache: IsoCache, config: Config, origin: WrappedOrigin) {
  const method = servedMethod(c.req.method, config.methods);
  if (method === undefined) return passOn(c, next, cache, config);
  const state = stateOf(c);
  const ttl = config.ttl(c);
  // A TTL of 0 would mean "no expiry" to the cache; here it means the client allows no caching.
  if (bypassReason(c, state, config) !== undefined || ttl <= 1) return bypass(c, next, cache, config, method);
  const { base, key } = await config.keys(c, method);
  const fresh = wantsFresh(state);
  if (fresh && state.replace === true) await cache.deleteTags(base);
  let handle = newHandle(c, next, cache, config, ttl);
  let call = start(cache, origin, key, base, handle, fresh);
  let outcome = await handle.first;
  const stored = handle.called ? undefined : storedEntry(outcome);
  const refused = stored && refusal(state, stored, cache.clock.now(), config);
  if (refused) {
    // The first call's own refresh (early) must not run the route in the foreground as well.
    handle.served = true;
    // Dropped before the route runs again, so the drop never lands after that run's store.
    if (refused === "unservable") await cache.delete(key);
    handle = newHandle(c, next, cache, config, ttl);
    call = start(cache, origin, key, base, handle, true);
    outcome = await handle.first;
  }
  if (handle.live !== undefined) {
    cache.background(call, `store of the response for "${key}"`);
    return answer(c, handle.live, cache, config);
  }
  if (outcome === undefined) throw new Error("unreachable: delivered without a live response");
  // An entry the first call gave and `refusal` let through is not checked twice.
  const checked = refused ? undefined : stored;
  if (await answeredFromStore(c, state, handle, outcome, checked, key, cache, config)) return;
  if (!outcome.ok) {
    const error = outcome.error;
    if (error instanceof OriginFailure && error.handle === handle)
      return answer(c, error.response, cache, config);
    // Another request's failed run, or a cache failure before the route ran: answer from the route, uncached.
    if (!(error instanceof OriginFailure || error instanceof CacheBackendError) || handle.called) throw error;
  }
  return passThrough(c, next, cache, config);
}

/** The stored response a strategy's outcome carries, or `undefined`. */
function storedEntry(outcome: Outcome): CachedResponse | undefined {
  return outcome?.ok && isCachedResponse(outcome.value) ? outcome.value : undefined;
}

/**
 * Why the stored entry the strategy gave must not answer this request, so the route runs instead:
 * `"unservable"` (headers never stored, such as `Clear-Site-Data`: the entry is dropped too), or
 * `"too old"` for the request's `max-age` or `min-fresh`; `undefined` when it may answer.
 */
function refusal(
  state: RequestState,
  entry: CachedResponse,
  now: number,
  config: Config,
): "unservable" | "too old" | undefined {
  if (unservableReason(entry, config.varySet) !== undefined) return "unservable";
  return tooOldFor(state, entry, now) ? "too old" : undefined;
}

/**
 * Answers from the stored entry in `outcome`, if any, and says whether it did. The route's own
 * failing answer goes out instead when it says `Clear-Site-Data: "cache"` or the entry is
 * unservable (which is dropped; a request that ran no route then runs it, uncached).
 */
async function answeredFromStore(
  c: Context,
  state: RequestState,
  handle: Handle,
  outcome: Outcome,
  checked: CachedResponse | undefined,
  key: string,
  cache: IsoCache,
  config: Config,
): Promise<boolean> {
  const entry = storedEntry(outcome);
  if (entry === undefined) return false;
  const failure = handle.failure;
  const servable = entry === checked || unservableReason(entry, config.varySet) === undefined;
  if (servable && (failure === undefined || !clearsCache(failure.headers.get("clear-site-data")))) {
    // Marked before any await, so a background refresh started by this call sees the request as served.
    handle.served = true;
    state.hit = entry;
    failure?.body?.cancel().catch(() => {});
    answerHit(c, state, entry, config, cache.clock.now());
    return true;
  }
  if (!servable) await cache.delete(key);
  if (failure !== undefined) await answer(c, failure, cache, config);
  else if (!handle.called) await passThrough(c, handle.next, cache, config);
  else throw new Error("unreachable: the route ran, yet neither answered nor failed");
  return true;
}

/** The method whose entry answers a request, or `undefined` when the middleware does not serve it. */
function servedMethod(method: string, methods: ReadonlySet<string>): string | undefined {
  if (method === "HEAD" && methods.has("GET")) return "GET";
  return methods.has(method) ? method : undefined;
}

function newHandle(c: Context, next: Next, cache: IsoCache, config: Config, ttl: number): Handle {
  let settle: (outcome: Outcome) => void = () => {};
  const first = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  const handle: Handle = {
    c,
    next,
    ttl,
    window: scaledWindow(config, ttl),
    statuses: config.statuses,
    vary: config.varySet,
    live: undefined,
    first,
    settle,
    deliver: (response) => {
      handle.live = response;
      settle(undefined);
    },
    served: false,
    called: false,
    early: typeof config.strategy === "object" && config.strategy.name === "early",
    index: c.req.routeIndex,
    now: () => cache.clock.now(),
    dropStale: (answered) => dropStale(answered, cache, config),
  };
  return handle;
}

/** A window shorter than a TTL that a request's `max-age` cut below it (keeps the strategy's check). */
function scaledWindow(config: Config, ttl: number): number | undefined {
  const window = config.window;
  if (window === undefined || window < ttl) return window;
  return Math.max(1, Math.floor(ttl / 2));
}

/** A method the middleware does not serve: the route answers, and a write that succeeded drops its URL's entries. */
async function passOn(c: Context, next: Next, cache: IsoCache, config: Config): Promise<void> {
  await next();
  await dropStale(c, cache, config);
}

/**
 * A request the cache must not serve: the route answers it, uncached. `cacheDelete()`'s
 * `Clear-Site-Data` still drops the route's entries: a logout request usually carries
 * `Authorization`, and it is the one whose clearing matters most.
 */
async function bypass(c: Context, next: Next, cache: IsoCache, config: Config, method: string) {
  if (stateOf(c).replace === true) await cache.deleteTags(await config.keys.base(c, method));
  return passThrough(c, next, cache, config);
}

async function passThrough(c: Context, next: Next, cache: IsoCache, config: Config): Promise<void> {
  await next();
  c.header("X-Cache", "MISS");
  addVaryHeader(c, config);
  await dropStale(c, cache, config);
}

/**
 * Answers from a stored entry. The replay gets the headers this request was given before
 * `cacheResponse` (`requestId()`, `cors()`), where the entry, the route's own answer, has none
 * by that name, and `X-Cache`, `Age` and `Vary`; it is built once and replaces what `c.res` held (adding
 * headers to a set `c.res` makes Hono rebuild it, and on @hono/node-server that turns the stored
 * bytes into a stream first).
 */
function answerHit(
  c: Context,
  state: RequestState,
  entry: CachedResponse,
  config: Config,
  now: number,
): void {
  const response = replay(entry);
  const headers = response.headers;
  const own = requestOwnHeaders(c);
  own.forEach((value, name) => {
    if (name !== "set-cookie" && name !== "content-length" && !headers.has(name)) headers.set(name, value);
  });
  for (const cookie of own.getSetCookie()) headers.append("set-cookie", cookie);
  headers.set("x-cache", "HIT");
  // A cache MUST send the age of what it answers from store (RFC 9111 §4), `cacheControl()` or not.
  headers.set("age", String(ageOf(entry, now)));
  const vary = withVary(headers.get("vary"), config.vary);
  if (vary !== undefined) headers.set("vary", vary);
  // Cleared first, or Hono would merge the response made before this middleware into a copy.
  c.res = undefined;
  c.res = response;
  state.replayed = response;
}

/** Answers with the route's own response, which this request ran: `X-Cache: MISS`. */
async function answer(c: Context, response: Response, cache: IsoCache, config: Config): Promise<void> {
  c.res = response;
  c.header("X-Cache", "MISS");
  addVaryHeader(c, config);
  await dropStale(c, cache, config);
}

function addVaryHeader(c: Context, config: Config): void {
  const vary = withVary(c.res.headers.get("vary"), config.vary);
  if (vary !== undefined) c.header("Vary", vary);
}
