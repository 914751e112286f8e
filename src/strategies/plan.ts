import {
  checkTtlOption,
  type Duration,
  type TtlOption,
  type TtlResolver,
  toMilliseconds,
} from "../core/durations";
import { CacheArgumentError, CacheConfigError, errorMessage } from "../core/errors";
import { describeKey, INTERNAL_PREFIX } from "../core/keys";
import { sleep } from "../core/locks";
import { isReadValue, MISS, NOT_SYNC } from "../core/records";
import type { LoadTicket } from "../core/route";
import { isDisabled, type Scope } from "../core/scope";
import type { FeatureCache } from "../features/feature-cache";
import { type CacheStats, StatsCounter } from "../features/stats";
import { compileKey, defaultKey, type KeyFn, parameterInfo } from "../keys/index";
import { type Condition, type ErrorClass, failure, failureOf, isOneOf } from "./conditions";
import type { AnyFn, Site } from "./decorate";

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

const LOCK_TTL_MS = 10_000;
const LOCK_STEP_MS = 20;

/** Everything a strategy fixed when it wrapped one function: keys, TTL, tags, conditions, stats. */
export class Plan {
  readonly cache: FeatureCache;
  readonly fn: AnyFn;
  readonly strategy: string;
  readonly stats = new StatsCounter();
  readonly ttl: TtlResolver<unknown[]>;
  readonly condition: Condition | undefined;
  readonly #site: Site;
  readonly #name: string | undefined;
  readonly #template: KeyFn | undefined;
  readonly #templateText: string;
  readonly #keyFn: ((...args: unknown[]) => string | Promise<string>) | undefined;
  readonly #prefix: string;
  readonly #tags: readonly KeyFn[] | undefined;
  readonly #timeConditionMs: number | undefined;
  readonly #lock: boolean;
  readonly #classNames = new WeakMap<object, string>();
  readonly #where: string;

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
    this.#site = site;
    const where = `${strategy}(${options.name ?? site.name ?? "anonymous"})`;
    this.#where = where;
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
    this.#prefix = options.prefix === undefined || options.prefix === "" ? "" : `${options.prefix}:`;
    this.#name = options.name ?? (site.name === "" ? undefined : site.name);
    const params = parameterInfo(fn);
    this.#templateText = typeof options.key === "string" ? options.key : "";
    if (typeof options.key === "string") {
      this.#template = compileKey(options.key, params, { name: where });
    } else if (typeof options.key === "function") {
      this.#keyFn = options.key as (...args: unknown[]) => string;
    } else if (options.key !== undefined) {
      throw configError(
        where,
        "`key` must be a template string or a function",
        'use for example key: "user:{id}"',
      );
    } else if (this.#name === undefined) {
      throw configError(
        where,
        "an anonymous function has neither `key` nor `name`",
        'give the function a name, or pass key: "…" or name: "…"',
      );
    }
    this.#tags = options.tags?.map((tag) => compileKey(tag, params, { name: `${where} tag` }));
  }

  /** The key of one call, with the prefix. */
  keyOf(thisArg: unknown, args: readonly unknown[], scope?: Scope): string | Promise<string> {
    let key: string | Promise<string>;
    if (this.#template !== undefined) {
      key = this.#template(
        args,
        this.#template.usesContext ? (scope ?? this.cache.scope()).keyContext : undefined,
      );
      // A template of placeholders only renders "" for empty arguments: refused before the call
      // runs, as every backend and the strategies' own state would refuse or share that key.
      if (this.#prefix === "") {
        if (key === "") throw emptyTemplateKey(this.#where, this.#templateText);
        if (typeof key !== "string") {
          key = key.then((text) => {
            if (text === "") throw emptyTemplateKey(this.#where, this.#templateText);
            return text;
          });
        }
      }
    } else if (this.#keyFn !== undefined) {
      key = keyFnResult(this.#where, this.#keyFn(...args));
    } else {
      key = defaultKey(this.#nameFor(thisArg), args);
    }
    if (this.#prefix === "") return key;
    return typeof key === "string" ? this.#prefix + key : key.then((text) => this.#prefix + text);
  }

  /** For methods the class is known only from the instance, so `find` in two classes gets two names. */
  #nameFor(thisArg: unknown): string {
    const name = this.#name as string;
    if (this.#site.kind !== "method" || this.#site.className !== undefined) {
      return this.#site.className === undefined ? name : `${this.#site.className}.${name}`;
    }
    if (thisArg === null || (typeof thisArg !== "object" && typeof thisArg !== "function")) return name;
    const owner = thisArg as object;
    let full = this.#classNames.get(owner.constructor ?? owner);
    if (full === undefined) {
      const className = typeof thisArg === "function" ? thisArg.name : (owner.constructor?.name ?? "");
      full = className === "" ? name : `${className}.${name}`;
      this.#classNames.set(owner.constructor ?? owner, full);
    }
    return full;
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
    let key: string | Promise<string>;
    try {
      key = this.keyOf(thisArg, args, scope);
    } catch (error) {
      return Promise.reject(error);
    }
    return typeof key === "string"
      ? body(key, thisArg, args, scope)
      : key.then((text) => body(text, thisArg, args, scope));
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
    if (this.cache.scope().invalidate) {
      this.stats.misses++;
      return MISS;
    }
    return unwrapFailure(await this.lookup(key, args), this.condition?.exceptions);
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
   */
  async store(
    key: string,
    args: readonly unknown[],
    value: unknown,
    elapsed: number,
    ticket: LoadTicket,
  ): Promise<void> {
    const condition = this.condition;
    if (condition !== undefined && (condition.onlyExceptions === true || !condition(value, args, key)))
      return;
    if (this.#timeConditionMs !== undefined && elapsed < this.#timeConditionMs) return;
    const tags = this.#tags === undefined ? undefined : await this.tagsOf(args);
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

  /** Stores an error when the condition caches that class of error (and `ticket` is not stale, as in `store`). */
  async storeError(key: string, args: readonly unknown[], error: unknown, ticket: LoadTicket): Promise<void> {
    const exceptions = this.condition?.exceptions;
    if (exceptions === undefined || !isOneOf(error, exceptions)) return;
    const tags = await this.tagsOf(args);
    if (this.outdated(key, ticket, tags)) return;
    await this.cache.set(key, failure(error, exceptions), { ttl: this.ttl(args as unknown[]), tags });
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

  /** The call's tags, rendered. */
  async tagsOf(args: readonly unknown[]): Promise<string[] | undefined> {
    if (this.#tags === undefined) return undefined;
    const context = this.cache.scope().keyContext;
    return Promise.all(this.#tags.map((tag) => tag(args, context)));
  }

  /** Executes and stores, sharing one execution per key in-process (and across processes with `lock`). */
  load(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    // The run's own ticket: the store is held back by a write to the key since the run began.
    // A locked load takes a fresh ticket once it holds the lock (`loadNow`): a write while it
    // waited for the lock happened before its execution, so it does not hold the store back.
    return this.cache.singleFlight(key, (ticket) =>
      this.#lock ? this.#loadLocked(thisArg, args, key) : this.#loadWith(thisArg, args, key, ticket),
    );
  }

  /** Executes and stores now, without single-flight. */
  async loadNow(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const route = this.cache.routeFor(key);
    const ticket = route.ticket(key);
    try {
      return await this.#loadWith(thisArg, args, key, ticket);
    } finally {
      route.release(key, ticket);
    }
  }

  /** Executes and stores unless `ticket` went stale meanwhile (see `store`). */
  async #loadWith(
    thisArg: unknown,
    args: readonly unknown[],
    key: string,
    ticket: LoadTicket,
  ): Promise<unknown> {
    let done: { value: unknown; elapsed: number };
    try {
      done = await this.execute(thisArg, args);
    } catch (error) {
      await this.storeError(key, args, error, ticket);
      throw error;
    }
    await this.store(key, args, done.value, done.elapsed, ticket);
    return done.value;
  }

  /**
   * One execution per key across processes: the lock holder loads, the others wait for its
   * result. Taking the lock and checking that no holder stored the value meanwhile is one call.
   */
  async #loadLocked(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const lockKey = `${INTERNAL_PREFIX}lock:${key}`;
    const token = crypto.randomUUID();
    const deadline = Date.now() + LOCK_TTL_MS;
    while (Date.now() < deadline) {
      const got = await this.cache.setLockUnlessStored(lockKey, key, token, LOCK_TTL_MS, this.strategy);
      if (got === true) {
        try {
          return await this.loadNow(thisArg, args, key);
        } finally {
          await this.cache.unlock(lockKey, token);
        }
      }
      if (got !== false) return unwrapFailure(got.value, this.condition?.exceptions);
      await sleep(LOCK_STEP_MS);
    }
    return this.loadNow(thisArg, args, key); // the holder vanished: load rather than wait forever
  }

  /** The extras of a wrapper: `key`, `invalidate`, `refresh`, `stats`. */
  extras(): WrappedExtras<unknown[], unknown> {
    const plan = this;
    return {
      // Called as `fn.key(…)`, `this` is the wrapper itself; `fn.key.call(instance, …)` passes an instance.
      key(this: unknown, ...args: unknown[]) {
        try {
          return Promise.resolve(plan.keyOf(receiver(this), args));
        } catch (error) {
          return Promise.reject(error);
        }
      },
      async invalidate(this: unknown, ...args: unknown[]) {
        return plan.cache.delete(await plan.keyOf(receiver(this), args));
      },
      async refresh(this: unknown, ...args: unknown[]) {
        const thisArg = receiver(this);
        return plan.loadNow(thisArg, args, await plan.keyOf(thisArg, args));
      },
      stats: () => plan.stats.snapshot(),
    };
  }
}

/**
 * What a `key` function returned, checked: a non-empty string, or a promise of one. Anything else
 * throws (or rejects with) `CacheArgumentError` before a key reaches a backend or a strategy's state.
 */
function keyFnResult(where: string, key: unknown): string | Promise<string> {
  if (typeof key === "string" && key.length > 0) return key;
  if (typeof (key as PromiseLike<unknown> | null)?.then === "function") {
    return Promise.resolve(key).then((text) => {
      if (typeof text === "string" && text.length > 0) return text;
      throw badKeyFnResult(where, text);
    });
  }
  throw badKeyFnResult(where, key);
}

function badKeyFnResult(where: string, key: unknown): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      where,
      `the \`key\` function returned ${describeKey(key)}, not a non-empty string`,
      'return a string such as "user:42" (or a promise of one)',
    ),
  );
}

function emptyTemplateKey(where: string, template: string): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      where,
      `the key template ${JSON.stringify(template)} rendered an empty key for these arguments`,
      'pass arguments that fill it, or give the template fixed text such as "user:{id}"',
    ),
  );
}

function receiver(thisArg: unknown): unknown {
  return typeof thisArg === "function" ? undefined : thisArg;
}

/** `value`, or the error it holds when it is a cached failure, thrown (with its class back; see `failureOf`). */
export function unwrapFailure(value: unknown, exceptions?: readonly ErrorClass[]): unknown {
  const failed = failureOf(value, exceptions);
  if (failed !== undefined) throw failed.error;
  return value;
}

function configError(where: string, problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage(where, problem, remedy));
}
