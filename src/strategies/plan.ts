import {
  checkTtlOption,
  type Duration,
  type TtlOption,
  type TtlResolver,
  toMilliseconds,
} from "../core/durations";
import { isReadValue, MISS, NOT_SYNC } from "../core/records";
import type { LoadTicket } from "../core/route";
import { isDisabled, type Scope } from "../core/scope";
import type { FeatureCache } from "../features/feature-cache";
import { type CacheStats, StatsCounter } from "../features/stats";
import { tagsError } from "../features/tags";
import { compileKey, type KeyFn, parameterInfo } from "../keys/index";
import { type Condition, failure, isOneOf } from "./conditions";
import type { AnyFn, Site } from "./decorate";
import { planExtras } from "./plan-extras";
import { configError, PlanKey } from "./plan-key";
import { loadLocked, loadWith, unwrapFailure } from "./plan-load";

/** A call's rendered tags (see `Plan.tagsOf`), or `undefined` without any. */
export type Tags = readonly string[] | undefined;

/** Options every strategy accepts. */
export interface StrategyOptions<A extends unknown[] = unknown[]> {
  /** Time to live of stored results: `"2h"`, milliseconds, or a function of the call's arguments. */
  ttl?: TtlOption<A>;
  /** Key template (`"user:{id}"`, `"{0}"`, `"{user.id}"`, `"{name:lower}"`) or a function of the arguments. */
  key?: string | ((...args: A) => string | Promise<string>);
  /** Put in front of the key with a colon: `prefix: "v2"` gives `v2:…`. */
  prefix?: string;
  /** Tags (templates allowed: `"page:{page}"`) for `deleteTags`. */
  tags?: readonly string[];
  /** Which results (and errors) are stored; default: every result, no error. */
  condition?: Condition;
  /** Store only calls that took longer than this. */
  timeCondition?: Duration;
  /** `true`: one execution per key across processes, through a lock in the backend. */
  lock?: boolean;
  /** Name used in automatic keys and `detect`; default: the function's name. */
  name?: string;
}

/** Extras every wrapped function gains. */
export interface WrappedExtras<A extends unknown[], R> {
  /** The cache key for these arguments. */
  key(...args: A): Promise<string>;
  /** Deletes the cached result for these arguments; `true` if there was one. */
  invalidate(...args: A): Promise<boolean>;
  /** Executes now and stores the result, whatever is cached. */
  refresh(...args: A): Promise<R>;
  /** Hits, misses and loader figures of this function. */
  stats(): CacheStats;
}

/** Everything a strategy fixed when it wrapped one function: keys, TTL, tags, conditions, stats. */
export class Plan {
  readonly cache: FeatureCache;
  readonly fn: AnyFn;
  readonly strategy: string;
  readonly stats = new StatsCounter();
  readonly ttl: TtlResolver<unknown[]>;
  readonly condition: Condition | undefined;
  readonly #key: PlanKey;
  readonly #tags: readonly KeyFn[] | undefined;
  readonly #timeConditionMs: number | undefined;
  readonly #lock: boolean;

  constructor(
    cache: FeatureCache,
    fn: AnyFn,
    site: Site,
    options: StrategyOptions<never[]>,
    strategy: string,
  ) {
    this.cache = cache;
    this.fn = fn;
    this.strategy = strategy;
    const where = `${strategy}(${options.name ?? site.name ?? "anonymous"})`;
    this.ttl = checkTtlOption(options.ttl as TtlOption<unknown[]>, "ttl");
    this.condition = options.condition;
    if (options.condition !== undefined && typeof options.condition !== "function") {
      throw configError(
        where,
        "`condition` must be a function",
        "use NOT_NULLISH, withExceptions(...), onlyExceptions(...) or (result, args, key) => boolean",
      );
    }
    this.#timeConditionMs =
      options.timeCondition === undefined
        ? undefined
        : toMilliseconds(options.timeCondition, "timeCondition");
    this.#lock = options.lock === true;
    const params = parameterInfo(fn);
    this.#key = new PlanKey(cache, site, options, where, params);
    this.#tags = options.tags?.map((tag) => compileKey(tag, params, { name: `${where} tag` }));
  }

  /** The key of one call, with the prefix. */
  keyOf(thisArg: unknown, args: readonly unknown[], scope?: Scope): string | Promise<string> {
    return this.#key.keyOf(thisArg, args, scope);
  }

  /** Runs `body` with the call's key, or calls straight through while the cache is disabled. */
  run(
    thisArg: unknown,
    args: unknown[],
    body: (key: string, thisArg: unknown, args: unknown[], scope: Scope) => Promise<unknown>,
  ): Promise<unknown> {
    // The scope is looked up once per call and handed on: the hit path reads it three times.
    const scope = this.cache.scope();
    if (isDisabled(scope, "get")) return this.execute(thisArg, args).then((done) => done.value);
    // The body is inside the `try` too: a body's synchronous part (a `ttl` function that throws,
    // on the way to a read) must reject the call, as an async function would.
    try {
      const key = this.#key.keyOf(thisArg, args, scope); // not `this.keyOf`: one call less on every call
      return typeof key === "string"
        ? body(key, thisArg, args, scope)
        : key.then((text) => body(text, thisArg, args, scope));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Calls the wrapped function, timing it into `stats`. */
  async execute(thisArg: unknown, args: readonly unknown[]): Promise<{ value: unknown; elapsed: number }> {
    const started = Date.now();
    try {
      const value = await this.fn.apply(thisArg, args as unknown[]);
      const elapsed = Date.now() - started;
      this.countLoad(elapsed, false);
      return { value, elapsed };
    } catch (error) {
      this.countLoad(Date.now() - started, true);
      throw error;
    }
  }

  /** Counts one execution into this function's stats and the cache's. */
  countLoad(elapsed: number, failed: boolean): void {
    this.stats.load(elapsed, failed);
    this.cache.countLoad(elapsed, failed);
  }

  /** The cached value for `key` or `MISS`; a cached error is rethrown. Inside `invalidateFurther` always `MISS`. */
  async read(key: string, args: readonly unknown[]): Promise<unknown> {
    return unwrapFailure(await this.readStored(key, args), this.condition?.exceptions);
  }

  /** `read`, with a cached error returned in its stored form (see `failureOf`) instead of rethrown. */
  readStored(key: string, args: readonly unknown[]): Promise<unknown> {
    if (this.cache.scope().invalidate) {
      this.stats.misses++;
      return Promise.resolve(MISS);
    }
    return this.lookup(key, args);
  }

  /** The stored value (a cached failure as stored) or `MISS`, counted as a hit or a miss. */
  lookup(key: string, args: readonly unknown[]): Promise<unknown> {
    return this.cache.fetch(key, this.strategy, this.ttl(args as unknown[])).then(this.#counted);
  }

  readonly #counted = (value: unknown): unknown => {
    if (value === MISS) this.stats.misses++;
    else this.stats.hits++;
    return value;
  };

  /**
   * `read` without a promise where `fetchSync` can answer: the value (a cached failure is
   * returned as stored, for the caller to unwrap), `MISS`, or `NOT_SYNC` (then call `read`).
   */
  readSync(key: string, scope: Scope = this.cache.scope()): unknown {
    if (scope.invalidate) return NOT_SYNC;
    const value = this.cache.fetchSync(key, scope);
    if (isReadValue(value)) this.stats.hits++;
    else if (value === MISS) this.stats.misses++;
    return value;
  }

  /**
   * Stores a result when the conditions allow it, and unless `ticket` (taken before the call
   * began) went stale: a write to the key meanwhile, such as an invalidation, wins over it.
   * `tags` are the call's, rendered before it ran (`tagsOf`).
   */
  async store(
    key: string,
    args: readonly unknown[],
    value: unknown,
    elapsed: number,
    ticket: LoadTicket,
    tags: Tags,
  ): Promise<void> {
    const condition = this.condition;
    if (condition !== undefined && (condition.onlyExceptions === true || !condition(value, args, key)))
      return;
    if (this.#timeConditionMs !== undefined && elapsed < this.#timeConditionMs) return;
    if (this.outdated(key, ticket, tags)) return;
    const storing = ticket.storing ?? 0;
    ticket.storing = storing + 1;
    try {
      await this.cache.set(key, value, { ttl: this.ttl(args as unknown[]), tags });
    } finally {
      // Unused when the set never reached the route (disabled, refused): nothing to take it for.
      if ((ticket.storing ?? 0) > storing) ticket.storing = storing;
    }
  }

  /**
   * Stores an error when the condition caches that class of error (and `ticket` is not stale, as
   * in `store`), with `before`: what the run handed out before it failed (an iterator's chunks).
   */
  async storeError(
    key: string,
    args: readonly unknown[],
    error: unknown,
    ticket: LoadTicket,
    tags: Tags,
    before?: readonly unknown[],
  ): Promise<void> {
    const exceptions = this.condition?.exceptions;
    if (exceptions === undefined || !isOneOf(error, exceptions)) return;
    if (this.outdated(key, ticket, tags)) return;
    await this.cache.set(key, failure(error, exceptions, before), { ttl: this.ttl(args as unknown[]), tags });
  }

  /** True when a result for `key` loaded under `ticket` must not be stored: the key was written, or one of `tags` invalidated, since. */
  outdated(key: string, ticket: LoadTicket, tags: readonly string[] | undefined): boolean {
    return tags === undefined ? ticket.stale : this.cache.routeFor(key).outdated(ticket, tags);
  }

  /** A ticket for a load of `key` (see `store`), and the `release` that hands it back. */
  ticketFor(key: string): { ticket: LoadTicket; release: () => void } {
    const route = this.cache.routeFor(key);
    const ticket = route.ticket(key);
    return { ticket, release: () => route.release(key, ticket) };
  }

  /** Runs `work` holding a ticket for `key`, handed back once it settles. */
  async withTicket<T>(key: string, work: (ticket: LoadTicket) => Promise<T>): Promise<T> {
    const held = this.ticketFor(key);
    try {
      return await work(held.ticket);
    } finally {
      held.release();
    }
  }

  /**
   * The call's tags, rendered and checked as `set` checks its tags, for a load to take before it
   * executes: a tag that renders badly (a lone surrogate from an argument or a formatter) refuses
   * the call before the function runs, as a bad key does, not after with its result lost.
   * `undefined` (no promise) without tags; never called on a hit.
   */
  tagsOf(args: readonly unknown[]): Promise<readonly string[]> | undefined {
    if (this.#tags === undefined) return undefined;
    const context = this.cache.scope().keyContext;
    return Promise.all(this.#tags.map((tag) => tag(args, context))).then(checkedTags);
  }

  /** Executes and stores, sharing one execution per key in-process (and across processes with `lock`). */
  load(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    // The run's own ticket: the store is held back by a write to the key since the run began.
    // A locked load takes a fresh ticket once it holds the lock (`loadNow`): a write while it
    // waited for the lock happened before its execution, so it does not hold the store back.
    return this.cache.singleFlight(key, (ticket) =>
      this.#lock ? loadLocked(this, thisArg, args, key) : loadWith(this, thisArg, args, key, ticket),
    );
  }

  /** Executes and stores now, without single-flight. */
  async loadNow(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const route = this.cache.routeFor(key);
    const ticket = route.ticket(key);
    try {
      return await loadWith(this, thisArg, args, key, ticket);
    } finally {
      route.release(key, ticket);
    }
  }

  /**
   * Runs a `refresh` of the call's key once the work in flight on the key is superseded
   * (`Route.supersede`): a load of it that began earlier, and would end later, must not store its
   * older result over the refreshed one, and callers from now on must not share it. When the key
   * renders synchronously, `run` starts before this returns, so a caller right after `refresh()`
   * shares the refresh. Inside a transaction nothing is superseded: its writes reach the backend
   * only on commit, and a rollback must leave the loads outside as they were.
   */
  refreshing<T>(thisArg: unknown, args: readonly unknown[], run: (key: string) => Promise<T>): Promise<T> {
    const start = (key: string): Promise<T> => {
      if (this.cache.scope().tx === undefined) this.cache.routeFor(key).supersede(key);
      return run(key);
    };
    try {
      const key = this.keyOf(thisArg, args);
      return typeof key === "string" ? start(key) : key.then(start);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Executes and stores now for `fn.refresh` (see `refreshing`), shared with the callers
   * of the key that come while it runs; it never waits for a lock, even with `lock: true`.
   */
  refresh(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    return this.cache.singleFlight(key, (ticket) => loadWith(this, thisArg, args, key, ticket));
  }

  /** The extras of a wrapper: `key`, `invalidate`, `refresh`, `stats`. */
  extras(): WrappedExtras<unknown[], unknown> {
    return planExtras(this);
  }
}

/** `tags` unless the shared tag check (`tagsError`, as for `set`) refuses them: then its `CacheArgumentError`. */
function checkedTags(tags: string[]): readonly string[] {
  const refused = tagsError(
    tags,
    "a strategy's `tags` must render to strings",
    'use templates such as tags: ["user:{id}"]',
  );
  if (refused !== undefined) throw refused;
  return tags;
}
