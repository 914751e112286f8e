import { CacheArgumentError, errorMessage } from "../core/errors";
import type { LoadTicket, Route } from "../core/route";
import type { FeatureCache } from "../features/feature-cache";
import type { Serializer } from "../serialization/codec";
import { rejectLock, whereOf } from "./_meta";
import { failureOf } from "./conditions";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions, type WrappedExtras } from "./plan";

// biome-ignore lint/suspicious/noExplicitAny: the wrapped generator may take any arguments and yield anything.
type AnyIterableFn = (this: any, ...args: any[]) => AsyncIterable<any> | Iterable<any>;

/** What a (sync or async) generator function yields. */
export type ChunkOf<F extends AnyIterableFn> =
  ReturnType<F> extends AsyncIterable<infer T> ? T : ReturnType<F> extends Iterable<infer T> ? T : never;

/**
 * A wrapped generator function: same parameters, returns an async generator of the same chunks,
 * plus `key`, `invalidate`, `refresh` (runs to the end, stores, and resolves to every chunk) and `stats`.
 */
export type CachedIterator<F extends AnyIterableFn> = ((
  this: ThisParameterType<F>,
  ...args: Parameters<F>
) => AsyncGenerator<ChunkOf<F>, void, undefined>) &
  WrappedExtras<Parameters<F>, ChunkOf<F>[]>;

/** What `iterator` returns: a wrapper for generator functions that is also a method decorator (TC39 or legacy). */
export interface IteratorDecorator {
  <F extends AnyIterableFn>(fn: F): CachedIterator<F>;
  <F extends AnyIterableFn>(method: F, context: ClassMethodDecoratorContext): CachedIterator<F>;
  (target: object, property: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Caches a generator function (async or sync; the wrapper is always an async generator). The
 * first run streams each chunk to the caller as it comes and records it as it is then (a copy
 * through the key's serializer: what the consumer or the source does to that object later is not
 * replayed); the full list is stored under the call's key (an array, so `cache.get` shows it)
 * only when the source completes, so a source that throws or a consumer that stops early stores
 * nothing (an error a condition caches with `withExceptions` is stored and rethrown by later
 * runs); nor does a run whose consumer waited more than a minute before asking for the next chunk
 * (an iterator dropped without `return()` lets go of its key then). Later runs replay every
 * chunk, falsy ones included, without calling the function. A `condition` sees the array of
 * chunks; `timeCondition` and the load time in `stats` count the source's time, not the
 * consumer's. Nothing runs until the first `next()`, which rejects with `CacheArgumentError` when
 * the function returns no iterable; concurrent first runs each execute (streams are not shared).
 * While the cache is disabled, the function's own chunks pass straight through.
 * @example
 * const rows = cache.iterator({ ttl: "5m" })(async function* rows(query: string) { yield* db.stream(query); });
 * for await (const row of rows("active")) console.log(row);
 */
export function iterator(cache: FeatureCache, options: StrategyOptions<never[]> = {}): IteratorDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "iterator");
    const where = whereOf("iterator", options, site);
    rejectLock(options, where);
    return {
      call: (thisArg, args) => replayOrRecord(plan, where, thisArg, args),
      extras: {
        ...plan.extras(),
        refresh(this: unknown, ...args: unknown[]) {
          return plan.refreshing(this, args, async (key) => {
            const chunks: unknown[] = [];
            for await (const chunk of record(plan, where, this, args, key)) chunks.push(chunk);
            return chunks;
          });
        },
      },
    };
  }) as IteratorDecorator;
}

async function* replayOrRecord(
  plan: Plan,
  where: string,
  thisArg: unknown,
  args: unknown[],
): AsyncGenerator<unknown, void, undefined> {
  if (!plan.cache.isEnabled("get")) {
    yield* record(plan, where, thisArg, args, undefined);
    return;
  }
  const key = await plan.keyOf(thisArg, args);
  const stored = await plan.readStored(key, args);
  if (Array.isArray(stored)) {
    yield* stored;
    return;
  }
  const failed = failureOf(stored, plan.condition?.exceptions);
  if (failed !== undefined) {
    // A run that failed after some chunks replays them before the error, as it streamed them.
    if (failed.before !== undefined) yield* failed.before;
    throw failed.error;
  }
  yield* record(plan, where, thisArg, args, key);
}

/** Streams the source while recording it; stores the list under `key` (when given) once the source completes. */
async function* record(
  plan: Plan,
  where: string,
  thisArg: unknown,
  args: unknown[],
  key: string | undefined,
): AsyncGenerator<unknown, void, undefined> {
  // Rendered before the source starts, so a bad tag refuses the run; awaited only when there are tags.
  const rendering = key === undefined ? undefined : plan.tagsOf(args);
  const tags = rendering === undefined ? undefined : await rendering;
  const started = Date.now();
  // The load's time is the source's: the consumer's time with each chunk is left out.
  let paused = 0;
  // Set while the consumer has the chunk: an error then is the consumer's, given through `throw()`.
  let withConsumer = false;
  const recording = key === undefined ? undefined : new Recording(plan, key);
  try {
    try {
      for await (const chunk of sourceOf(plan.fn.apply(thisArg, args), where)) {
        const handed = Date.now();
        recording?.add(chunk, handed);
        withConsumer = true;
        yield chunk;
        withConsumer = false;
        recording?.resume();
        paused += Date.now() - handed;
      }
    } catch (error) {
      if (withConsumer) throw error; // not the source's failure: neither counted nor cached
      plan.countLoad(Date.now() - started - paused, true);
      const ticket = recording?.ticket;
      if (recording !== undefined && ticket !== undefined)
        await plan.storeError(recording.key, args, error, ticket, tags, recording.chunks);
      throw error;
    }
    const elapsed = Date.now() - started - paused;
    plan.countLoad(elapsed, false);
    const ticket = recording?.ticket;
    if (recording !== undefined && ticket !== undefined)
      await plan.store(recording.key, args, recording.chunks, elapsed, ticket, tags);
  } finally {
    recording?.release();
  }
}

/** How long a recording waits for its consumer to ask for the next chunk before it gives up the key. */
const PAUSE_LIMIT_MS = 60_000;

/**
 * One run's recording of its key: the chunks so far, and the load ticket that keeps the list out
 * when the key is written meanwhile (see `Plan.store`). An iterator its consumer drops without
 * `return()` is never resumed, so no `finally` would hand the ticket back, and while a route
 * holds a ticket it remembers every tag invalidated since (later runs of the key share the ticket
 * and are outdated by them): once the consumer has not asked for a chunk for `PAUSE_LIMIT_MS`,
 * the recording gives the ticket up and the run stores nothing. Where that timer never fires
 * (Workers drops a request's timers when it ends), the ticket's age limit lets go of it instead
 * (`TICKET_MAX_AGE_MS`, counted from the last chunk or request for one: a long stream keeps it).
 */
class Recording {
  readonly key: string;
  readonly chunks: unknown[] = [];
  readonly #serializer: Serializer;
  readonly #route: Route;
  #held: { ticket: LoadTicket; release: () => void } | undefined;
  /** When the consumer got the last chunk (`Date.now()`), or -1 while the run is pulling from the source. */
  #pausedAt = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(plan: Plan, key: string) {
    this.key = key;
    this.#held = plan.ticketFor(key);
    this.#route = plan.cache.routeFor(key);
    this.#serializer = this.#route.codec.serializer;
  }

  /** The run's ticket; `undefined` once given up (or handed back): nothing is stored then. */
  get ticket(): LoadTicket | undefined {
    return this.#held?.ticket;
  }

  /** Records `chunk`, handed to the consumer at `now` (`Date.now()`): its pause begins. */
  add(chunk: unknown, now: number): void {
    if (this.#held === undefined) return;
    this.chunks.push(snapshot(this.#serializer, chunk));
    this.#route.renew(this.#held.ticket);
    this.#pausedAt = now;
    // One timer per run, armed again only when it fires during a pause: not one per chunk.
    if (this.#timer === undefined) this.#arm(PAUSE_LIMIT_MS);
  }

  /** The consumer asked for the next chunk. */
  resume(): void {
    this.#pausedAt = -1;
    if (this.#held !== undefined) this.#route.renew(this.#held.ticket);
  }

  /** Hands the ticket back (once). */
  release(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const held = this.#held;
    this.#held = undefined;
    held?.release();
  }

  #arm(ms: number): void {
    const timer = setTimeout(this.#check, ms);
    // Node, Bun and Deno: the timer of a dropped iterator must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    if (this.#pausedAt < 0 || this.#held === undefined) return;
    const waited = Date.now() - this.#pausedAt;
    if (waited < PAUSE_LIMIT_MS) {
      this.#arm(PAUSE_LIMIT_MS - waited);
      return;
    }
    this.chunks.length = 0;
    this.release();
  };
}

/** What the wrapped function returned, when `for await` can read it; else `CacheArgumentError`. */
function sourceOf(returned: unknown, where: string): AsyncIterable<unknown> | Iterable<unknown> {
  const source = returned as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null | undefined;
  if (typeof source?.[Symbol.asyncIterator] === "function" || typeof source?.[Symbol.iterator] === "function")
    return source as AsyncIterable<unknown> | Iterable<unknown>;
  const got = returned instanceof Promise ? "a promise" : returned === null ? "null" : typeof returned;
  throw new CacheArgumentError(
    errorMessage(
      where,
      `the wrapped function returned ${got}, not an async iterable or iterable`,
      "wrap a generator function (async function* … { yield … }) or one that returns an iterable",
    ),
  );
}

/**
 * `chunk` as it is now, through the key's serializer (so a custom one, and `registerType`, decide
 * what is kept): the consumer may change the object it got, and the source may reuse it for the
 * next chunk, before the list is stored. A primitive is kept as it is. A chunk the serializer
 * refuses is kept as it is too, for the store to report as it reports any value it cannot keep.
 */
function snapshot(serializer: Serializer, chunk: unknown): unknown {
  if (typeof chunk !== "object" || chunk === null) return chunk;
  try {
    return serializer.decode(serializer.encode(chunk));
  } catch {
    return chunk;
  }
}
