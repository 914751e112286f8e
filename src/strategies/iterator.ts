import type { FeatureCache } from "../features/feature-cache";
import type { Serializer } from "../serialization/codec";
import { rejectLock, whereOf } from "./_meta";
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
 * replayed); the full list is stored
 * under the call's key (an array, so `cache.get` shows it) only when the source completes, so a
 * source that throws or a consumer that stops early stores nothing (an error a condition caches
 * with `withExceptions` is stored and rethrown by later runs). Later runs replay every chunk,
 * falsy ones included, without calling the function. A `condition` sees the array of chunks.
 * Nothing runs until the first `next()`; concurrent first runs each execute (streams are not shared).
 * While the cache is disabled, the function's own chunks pass straight through.
 * @example
 * const rows = cache.iterator({ ttl: "5m" })(async function* rows(query: string) { yield* db.stream(query); });
 * for await (const row of rows("active")) console.log(row);
 */
export function iterator(cache: FeatureCache, options: StrategyOptions<never[]> = {}): IteratorDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "iterator");
    rejectLock(options, whereOf("iterator", options, site));
    return {
      call: (thisArg, args) => replayOrRecord(plan, thisArg, args),
      extras: {
        ...plan.extras(),
        async refresh(this: unknown, ...args: unknown[]) {
          const key = await plan.keyOf(this, args);
          const chunks: unknown[] = [];
          for await (const chunk of record(plan, this, args, key)) chunks.push(chunk);
          return chunks;
        },
      },
    };
  }) as IteratorDecorator;
}

async function* replayOrRecord(
  plan: Plan,
  thisArg: unknown,
  args: unknown[],
): AsyncGenerator<unknown, void, undefined> {
  if (!plan.cache.isEnabled("get")) {
    yield* record(plan, thisArg, args, undefined);
    return;
  }
  const key = await plan.keyOf(thisArg, args);
  const stored = await plan.read(key, args);
  if (Array.isArray(stored)) {
    yield* stored;
    return;
  }
  yield* record(plan, thisArg, args, key);
}

/** Streams the source while recording it; stores the list under `key` (when given) once the source completes. */
async function* record(
  plan: Plan,
  thisArg: unknown,
  args: unknown[],
  key: string | undefined,
): AsyncGenerator<unknown, void, undefined> {
  const chunks: unknown[] = [];
  const started = Date.now();
  // Held while the source streams: a write to the key meanwhile keeps the recording out.
  const held = key === undefined ? undefined : plan.ticketFor(key);
  const serializer = key === undefined ? undefined : plan.cache.routeFor(key).codec.serializer;
  try {
    try {
      const source = plan.fn.apply(thisArg, args) as AsyncIterable<unknown> | Iterable<unknown>;
      for await (const chunk of source) {
        if (serializer !== undefined) chunks.push(snapshot(serializer, chunk));
        yield chunk;
      }
    } catch (error) {
      plan.countLoad(Date.now() - started, true);
      if (key !== undefined && held !== undefined) await plan.storeError(key, args, error, held.ticket);
      throw error;
    }
    const elapsed = Date.now() - started;
    plan.countLoad(elapsed, false);
    if (key !== undefined && held !== undefined) await plan.store(key, args, chunks, elapsed, held.ticket);
  } finally {
    held?.release();
  }
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
