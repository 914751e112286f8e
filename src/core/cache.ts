import { type CacheStats, StatsCounter } from "../features/stats";
import { NOT_NATIVE } from "./atomic";
import { CacheBatches } from "./batches";
import type { Clock } from "./clock";
import type { ContextFactory, ContextStore } from "./context";
import { incrByRewrite } from "./counters";
import { type Duration, toMilliseconds } from "./durations";
import { CacheArgumentError, CacheValueError, errorMessage } from "./errors";
import { assertKey, assertKeys, assertPattern } from "./keys";
import { CacheLocks, type IsLockedOptions, type LockOptions } from "./locks";
import {
  decodeValue,
  expiryOf,
  isReadValue,
  liveExists,
  MISS,
  NOT_SYNC,
  readSync,
  readValue,
  setExpiry,
  writeValue,
} from "./records";
import { type LoadTicket, Route } from "./route";
import { Router } from "./router";
import { childScope, isDisabled, rootScope, type Scope, type TxHooks } from "./scope";
import type { ObjectAdapter, SchemeFactory, SetupOptions, SetupTarget } from "./setup";
import { resolveSetup } from "./setup";
import { SingleFlight } from "./single-flight";
import type { Backend } from "./types";

/** A TTL option in milliseconds; `0` and absent both mean "no expiry". */
function ttlOption(ttl: Duration | undefined): number | undefined {
  return ttl === undefined ? undefined : toMilliseconds(ttl, "ttl") || undefined;
}

/** What a runtime entry hands the core: its name, its context storage and the backends it serves. */
export interface Platform {
  readonly runtime: string;
  readonly context: ContextFactory;
  readonly schemes: Readonly<Record<string, SchemeFactory>>;
  readonly adapters: readonly ObjectAdapter[];
  /** The URL used when `setup` is never called. */
  readonly defaultUrl: string;
  /** The clock a cache uses when `CacheOptions.clock` is not given. */
  readonly clock: Clock;
}

/** Options of `new Cache()`. */
export interface CacheOptions {
  /** Time source for TTLs computed by the core; default: `Date.now()`, read at most once per millisecond on Node, Bun and Deno (see `coarseClock`). */
  clock?: Clock;
}

/** Options of `set`. */
export interface SetOptions {
  /** Time to live: `"2h5m"`, `"500ms"` or milliseconds; default none. */
  ttl?: Duration;
  /** `false`: store only if absent; `true`: store only if present. */
  exist?: boolean;
  /** Tags to invalidate the key with later through `deleteTags`. */
  tags?: readonly string[];
}

/** Options of `getOrSet`. */
export interface GetOrSetOptions {
  ttl?: Duration;
  tags?: readonly string[];
}

/**
 * An async cache over one or more backends routed by key prefix. Runtime entries export a
 * subclass wired to their platform, so `new Cache()` works the same everywhere.
 * @example
 * const cache = new Cache().setup("mem://?size=1000");
 * await cache.set("user:1", { name: "Ada" }, { ttl: "10m" });
 */
export class CacheCore {
  /** Time source used for TTLs kept in records. */
  readonly clock: Clock;
  /** The platform this cache runs on. */
  readonly platform: Platform;
  readonly #router: Router;
  readonly #flight = new SingleFlight();
  readonly #stats = new StatsCounter();
  readonly #locks: CacheLocks;
  readonly #batches: CacheBatches;
  #context: ContextStore<Scope> | undefined;
  readonly #globalScope: Scope = rootScope();

  constructor(platform: Platform, options: CacheOptions = {}) {
    this.platform = platform;
    this.clock = options.clock ?? platform.clock;
    this.#router = new Router(() => new Route(this.#resolve(platform.defaultUrl, {})));
    this.#locks = new CacheLocks(this.#router);
    this.#batches = new CacheBatches(this.#router, this.clock, this.#stats);
  }

  /** The scope of the current async context (the cache-wide one outside any). @internal */
  scope(): Scope {
    return this.#contextStore().getStore() ?? this.#globalScope;
  }

  /** The context store, made on first use so constructing a cache does no work. */
  #contextStore(): ContextStore<Scope> {
    if (this.#context === undefined) this.#context = this.platform.context<Scope>();
    return this.#context;
  }

  /** Runs `fn` in a child of the current scope with `changes` applied. @internal */
  withScope<R>(changes: Partial<Scope>, fn: () => R): R {
    return this.#contextStore().run(childScope(this.scope(), changes), fn);
  }

  /**
   * Runs one command unless the scope disables it (then `disabledValue` is the result), and
   * reports the result to the scope's callbacks.
   */
  protected guard<T>(
    command: string,
    key: string | undefined,
    disabledValue: T,
    run: (tx: TxHooks | undefined) => Promise<T>,
  ): Promise<T> {
    const scope = this.scope();
    if (isDisabled(scope, command)) return Promise.resolve(disabledValue);
    let pending: Promise<T>;
    try {
      pending = run(scope.tx as TxHooks | undefined);
    } catch (error) {
      return Promise.reject(error); // a middleware that throws: the command fails, never the caller's frame
    }
    const callbacks = scope.callbacks;
    if (callbacks === undefined) return pending;
    return pending.then((result) => {
      for (const callback of callbacks) {
        if (callback.command !== undefined && callback.command !== command) continue;
        try {
          callback.fn(key, result === MISS ? undefined : result);
        } catch {
          // A failing callback must not change the command's outcome.
        }
      }
      return result;
    });
  }

  /**
   * Adds a backend: a URL (`"mem://?size=1000"`, `"redis://…"`), a `Backend` object, or a list of
   * them as tiers. Without `prefix` it serves every key no prefixed backend claims.
   * Throws `CacheConfigError` at once for a malformed URL, unknown scheme or bad option.
   */
  setup(target: SetupTarget, options?: SetupOptions): this {
    this.#router.add(new Route(this.#resolve(target, options ?? {})));
    return this;
  }

  #resolve(target: SetupTarget, options: SetupOptions) {
    const { runtime, schemes, adapters } = this.platform;
    return resolveSetup({ runtime, schemes, adapters, clock: this.clock }, target, options);
  }

  /** The backend that serves `key`. */
  backendFor(key: string): Backend {
    return this.#router.route(key).backend;
  }

  /** The value stored under `key`, else `defaultValue`. A stored `null` is a hit. */
  async get<T = unknown>(key: string, defaultValue?: T): Promise<T | undefined> {
    assertKey(key);
    const fast = this.fetchSync(key, this.scope());
    if (isReadValue(fast)) return fast as T;
    if (fast === MISS) return defaultValue;
    const value = await this.fetch(key, "get", undefined);
    return value === MISS ? defaultValue : (value as T);
  }

  /**
   * Reads `key` as the `get` command does (scope, transaction, middlewares, stats) and returns
   * `MISS` on a miss; a hit is noted for `detect` under `name` with `ttl`.
   * @internal
   */
  fetch(key: string, name: string, ttl: number | undefined): Promise<unknown> {
    // Promise chains, not async frames: a cold miss of `cached()` comes through here.
    return this.guard("get", key, MISS, (tx) => {
      if (tx !== undefined) return tx.get(key);
      const route = this.#router.route(key);
      return route.run("get", key, [key], () =>
        readValue(route, this.clock, key).then((value) => {
          if (value === MISS) {
            this.#stats.misses++;
            return MISS;
          }
          this.#stats.hits++;
          this.recordHit(key, name, ttl, route.backend.name);
          return value;
        }),
      );
    });
  }

  /**
   * `fetch` without a promise, for hits and misses the plain way: no transaction, callback,
   * `detect` or disabled read in `scope`, and a backend that reads synchronously. Returns
   * `NOT_SYNC` when only `fetch` can answer (it then does the whole read, stats included).
   * @internal
   */
  fetchSync(key: string, scope: Scope): unknown {
    if (scope.tx !== undefined || scope.callbacks !== undefined || scope.detect !== undefined)
      return NOT_SYNC;
    if (isDisabled(scope, "get")) return NOT_SYNC;
    const value = readSync(this.#router.route(key), this.clock, key);
    if (isReadValue(value)) this.#stats.hits++;
    else if (value === MISS) this.#stats.misses++;
    return value;
  }

  /**
   * Shares one in-flight `load` per key among concurrent callers of this cache; `load` gets the
   * run's ticket for `key` (see `Route.ticket`). @internal
   */
  singleFlight<T>(key: string, load: (ticket: LoadTicket) => Promise<T>): Promise<T> {
    return this.#flight.run(key, load, this.#router.route(key));
  }

  /**
   * The load in flight for `key` in this cache, counted as a miss, for a caller that can share
   * it instead of reading first; `undefined` when none runs or a transaction is in scope (its
   * own writes must be read).
   * @internal
   */
  joinFlight(key: string): Promise<unknown> | undefined {
    const flying = this.#flight.peek(key);
    if (flying === undefined || this.scope().tx !== undefined) return undefined;
    this.#stats.misses++;
    return flying;
  }

  /** Counts a caller that shared another caller's read instead of reading: a hit or a miss, like the read. @internal */
  countShared(hit: boolean): void {
    if (hit) this.#stats.hits++;
    else this.#stats.misses++;
  }

  /** Notes a cache hit for `detect` when a detect scope is active. @internal */
  recordHit(key: string, name: string, ttl: number | undefined, backend: string): void {
    const log = this.scope().detect;
    if (log === undefined) return;
    const calls = log[key];
    if (calls === undefined) log[key] = [{ name, ttl, backend }];
    else calls.push({ name, ttl, backend });
  }

  /** Stores `value`; `true` when stored (see `exist`). Replaces both value and TTL. */
  set(key: string, value: unknown, options: SetOptions = {}): Promise<boolean> {
    let ttl: number | undefined;
    try {
      assertKey(key);
      ttl = ttlOption(options.ttl);
    } catch (error) {
      return Promise.reject(error);
    }
    // No async frame: every strategy's store comes through here.
    return this.guard("set", key, false, (tx) => {
      if (tx !== undefined) return tx.set(key, value, ttl, options.tags, options.exist);
      const route = this.#router.route(key);
      return route.run("set", key, [key, value, options], () =>
        this.write(key, value, ttl, options.tags, options.exist),
      );
    });
  }

  /** Encodes and stores one value on the route of `key`, outside any transaction. @internal */
  write(
    key: string,
    value: unknown,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    exist?: boolean,
  ): Promise<boolean> {
    return writeValue(this.#router.route(key), this.clock, key, value, ttl, tags, exist);
  }

  /** Reads one value from the route of `key`, outside any transaction; `MISS` when absent. @internal */
  read(key: string): Promise<unknown> {
    return readValue(this.#router.route(key), this.clock, key);
  }

  /** True when `key` holds a live value. */
  async exists(key: string): Promise<boolean> {
    assertKey(key);
    return this.guard("exists", key, false, (tx) => {
      if (tx !== undefined) return tx.exists(key);
      const route = this.#router.route(key);
      return route.run("exists", key, [key], () => liveExists(route, this.clock, key));
    });
  }

  /** The cached value, or `factory`'s result stored with `ttl`; concurrent misses share one factory run. */
  async getOrSet<T>(key: string, factory: () => T | Promise<T>, options: GetOrSetOptions = {}): Promise<T> {
    assertKey(key);
    const ttl = ttlOption(options.ttl);
    if (isDisabled(this.scope(), "getOrSet")) return factory(); // disabled: call straight through
    return this.guard("getOrSet", key, undefined as T, async (tx) => {
      if (tx !== undefined) {
        const cached = await tx.get(key);
        if (cached !== MISS) return cached as T;
        const value = await this.load(factory);
        await tx.set(key, value, ttl, options.tags, undefined);
        return value;
      }
      const route = this.#router.route(key);
      return route.run("getOrSet", key, [key, factory, options], async () => {
        const cached = await readValue(route, this.clock, key);
        if (cached !== MISS) {
          this.#stats.hits++;
          this.recordHit(key, "getOrSet", ttl, route.backend.name);
          return cached as T;
        }
        this.#stats.misses++;
        return this.#flight.run(
          key,
          async (ticket) => {
            const value = await this.load(factory);
            // A write to the key while the factory ran (an invalidation) wins over its result.
            if (!route.outdated(ticket, options.tags)) await this.write(key, value, ttl, options.tags);
            return value;
          },
          route,
        );
      });
    });
  }

  /** Records one run of a wrapped function (see `Plan.execute`) in `stats()`. @internal */
  countLoad(ms: number, failed: boolean): void {
    this.#stats.load(ms, failed);
  }

  /** Runs a loader and records its time and outcome in `stats()`. */
  async load<T>(loader: () => T | Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      const value = await loader();
      this.#stats.load(Date.now() - started, false);
      return value;
    } catch (error) {
      this.#stats.load(Date.now() - started, true);
      throw error;
    }
  }

  /** Values of `keys` in order, `defaultValue` for each miss; keys may live on different backends. */
  async getMany<T = unknown>(keys: readonly string[], defaultValue?: T): Promise<(T | undefined)[]> {
    assertKeys(keys);
    return this.guard(
      "getMany",
      keys[0],
      keys.map(() => defaultValue),
      async (tx) => {
        if (tx === undefined) return this.#batches.getMany(keys, defaultValue);
        const values = await Promise.all(keys.map((key) => tx.get(key)));
        return values.map((value) => (value === MISS ? defaultValue : (value as T)));
      },
    );
  }

  /** Stores many entries, given as `[key, value][]` or a record, with one TTL. */
  async setMany(
    entries: readonly (readonly [string, unknown])[] | Record<string, unknown>,
    options: { ttl?: Duration } = {},
  ): Promise<void> {
    const list: readonly (readonly [string, unknown])[] = Array.isArray(entries)
      ? entries
      : Object.entries(entries);
    for (const entry of list) assertKey(entry[0]);
    const ttl = ttlOption(options.ttl);
    return this.guard("setMany", list[0]?.[0], undefined, async (tx) => {
      if (tx === undefined) return this.#batches.setMany(list, ttl);
      for (const [key, value] of list) await tx.set(key, value, ttl, undefined, undefined);
    });
  }

  /** `[key, value]` pairs whose key matches a Redis glob (`*`, `?`, `[ab]`). */
  async *getMatch<T = unknown>(pattern: string): AsyncGenerator<[string, T]> {
    assertPattern(pattern);
    if (isDisabled(this.scope(), "getMatch")) return;
    yield* this.#batches.getMatch<T>(pattern);
  }

  /** Keys matching a Redis glob (`*`, `?`, `[ab]`); every other character is literal. */
  async *scan(pattern: string): AsyncGenerator<string> {
    assertPattern(pattern);
    if (isDisabled(this.scope(), "scan")) return;
    yield* this.#batches.scan(pattern);
  }

  /** Adds `by` (default 1) and returns the new number; a missing key counts from 0 and gets `ttl`. */
  async incr(key: string, by = 1, options: { ttl?: Duration } = {}): Promise<number> {
    assertKey(key);
    if (typeof by !== "number" || !Number.isFinite(by)) {
      throw new CacheArgumentError(
        errorMessage(
          undefined,
          `incr(${JSON.stringify(key)}, ${String(by)}) needs a finite number`,
          "pass a number such as 1 or -1",
        ),
      );
    }
    const ttl = ttlOption(options.ttl);
    return this.guard("incr", key, by, (tx) => {
      if (tx !== undefined) return tx.incr(key, by, ttl);
      const route = this.#router.route(key);
      return route.run("incr", key, [key, by, options], async () => {
        const native =
          route.codec.signer === undefined &&
          Number.isInteger(by) &&
          (ttl === undefined || !route.needsEnvelopeExpiry(ttl));
        if (native) {
          try {
            return await route.call("incr", key, by, (backend) =>
              backend.incr(key, by, route.nativeTtl(ttl)),
            );
          } catch (error) {
            if (!(error instanceof CacheValueError)) throw error;
          }
        }
        return incrByRewrite(route, this.clock, key, by, ttl);
      });
    });
  }

  /** Deletes `key`; `true` if it existed. */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return this.guard("delete", key, false, (tx) => {
      if (tx !== undefined) return tx.delete(key);
      const route = this.#router.route(key);
      return route.run("delete", key, [key], () =>
        route.call("delete", key, false, (backend) => backend.delete(key)),
      );
    });
  }

  /** Deletes `keys`; returns how many existed. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    assertKeys(keys);
    return this.guard("deleteMany", keys[0], 0, async (tx) => {
      if (tx === undefined) return this.#batches.deleteMany(keys);
      const results = await Promise.all(keys.map((key) => tx.delete(key)));
      return results.filter(Boolean).length;
    });
  }

  /** Deletes every key matching a Redis glob; returns how many. */
  async deleteMatch(pattern: string): Promise<number> {
    assertPattern(pattern);
    return this.guard("deleteMatch", pattern, 0, (tx) =>
      tx === undefined ? this.#batches.deleteMatch(pattern) : tx.deleteMatch(pattern),
    );
  }

  /** Sets a new TTL on an existing key; `false` when the key is missing. */
  async expire(key: string, ttl: Duration): Promise<boolean> {
    assertKey(key);
    const ms = toMilliseconds(ttl, "ttl");
    const route = this.#router.route(key);
    return this.guard("expire", key, false, (tx) =>
      tx !== undefined
        ? tx.expire(key, ms)
        : route.run("expire", key, [key, ttl], () => setExpiry(route, this.clock, key, ms)),
    );
  }

  /** Milliseconds left for `key`; `-1` without expiry, `-2` when missing. */
  async getExpire(key: string): Promise<number> {
    assertKey(key);
    const route = this.#router.route(key);
    return this.guard("getExpire", key, -2, () =>
      route.run("getExpire", key, [key], () => expiryOf(route, this.clock, key)),
    );
  }

  /** `"PONG"`, or `message`, from the default backend. */
  async ping(message?: string): Promise<string> {
    const route = this.#router.default();
    const reply = message ?? "PONG";
    return this.guard("ping", undefined, reply, () =>
      route.run("ping", undefined, [message], () =>
        route.call("ping", undefined, reply, (backend) => backend.ping(message)),
      ),
    );
  }

  /** Removes every key from every backend. */
  async clear(): Promise<void> {
    return this.guard("clear", undefined, undefined, async () => {
      await Promise.all(
        this.#router
          .distinct()
          .map((route) =>
            route.run("clear", undefined, [], () =>
              route.call("clear", undefined, undefined, (backend) => backend.clear()),
            ),
          ),
      );
    });
  }

  /** Number of keys over all backends. */
  async getKeysCount(): Promise<number> {
    return this.guard("getKeysCount", undefined, 0, async () => {
      const counts = await Promise.all(
        this.#router
          .distinct()
          .map((route) =>
            route.run("getKeysCount", undefined, [], () =>
              route.call("getKeysCount", undefined, 0, (backend) => backend.count()),
            ),
          ),
      );
      return counts.reduce((sum, count) => sum + count, 0);
    });
  }

  /**
   * Closes every backend, those an earlier `setup` of the same prefix replaced too; the next
   * command opens the ones in use again.
   */
  async close(): Promise<void> {
    await Promise.all(this.#router.closing().map((route) => route.close()));
  }

  /** Stores `token` under `key` for `ttl` only if the key is free; `true` when the lock was taken. */
  async setLock(key: string, token: string, ttl: Duration): Promise<boolean> {
    return this.guard("setLock", key, false, () => this.#locks.setLock(key, token, ttl));
  }

  /**
   * For `lock: true`: takes the lock `lockKey` unless `key` already holds a value, in one atomic
   * call where both keys live on a backend with `lockUnlessStored` (elsewhere `setLock`, then a
   * read of `key`): `{ value }` when stored (and no lock is then held), `true` when the lock was
   * taken, `false` when another caller holds it. A value found counts as a hit under `name`.
   * @internal
   */
  async setLockUnlessStored(
    lockKey: string,
    key: string,
    token: string,
    ttl: number,
    name: string,
  ): Promise<boolean | { value: unknown }> {
    const scope = this.scope();
    const route = this.#router.route(key);
    if (
      scope.tx === undefined &&
      scope.callbacks === undefined &&
      !isDisabled(scope, "setLock") &&
      this.#router.route(lockKey) === route
    ) {
      const found = await this.#locks.lockUnlessStored(route, lockKey, key, token, ttl);
      if (typeof found === "boolean") return found;
      if (found !== NOT_NATIVE) {
        const value = await decodeValue(route, this.clock, key, found.value);
        if (value !== MISS) {
          this.#stats.hits++;
          this.recordHit(key, name, undefined, route.backend.name);
          return { value };
        }
      }
    }
    const taken = await this.setLock(lockKey, token, ttl);
    const value = await this.fetch(key, name, undefined);
    if (value === MISS) return taken;
    if (taken) await this.unlock(lockKey, token);
    return { value };
  }

  /** Releases the lock on `key` only if it holds `token`. */
  async unlock(key: string, token: string): Promise<boolean> {
    return this.guard("unlock", key, false, () => this.#locks.unlock(key, token));
  }

  /** Whether `key` is locked; with `wait`, waits up to that long for a release, polling every `step`. */
  async isLocked(key: string, options?: IsLockedOptions): Promise<boolean> {
    return this.guard("isLocked", key, false, () => this.#locks.isLocked(key, options));
  }

  /** Runs `fn` while holding the lock `key`; `wait: false` and held → `LockedError`. */
  lock<T>(key: string, options: LockOptions, fn: () => T | Promise<T>): Promise<T> {
    return this.#locks.lock(key, options, fn);
  }

  /** Runs `fn` with no other `exclusive` call for `key` on this cache running meanwhile (in-process). @internal */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#locks.exclusive(key, fn);
  }

  /** The route serving `key` (backend, codec, `suppress`, `timeout`), for features that call optional backend methods. @internal */
  routeFor(key: string): Route {
    return this.#router.route(key);
  }

  /** One route per distinct backend, the default last, for features that visit every backend. @internal */
  routes(): Route[] {
    return this.#router.distinct();
  }

  /** Stores `value` as it is, bypassing serialization, signing and compression. */
  async setRaw(key: string, value: string, options: { ttl?: Duration } = {}): Promise<boolean> {
    assertKey(key);
    if (typeof value !== "string")
      throw new CacheArgumentError(
        errorMessage(undefined, "setRaw() stores strings only", "serialize the value yourself, or use set()"),
      );
    const ttl = ttlOption(options.ttl);
    const route = this.#router.route(key);
    return this.guard("setRaw", key, false, () =>
      route.run("setRaw", key, [key, value], () =>
        route.call("setRaw", key, false, (backend) => backend.set(key, value, { ttl: route.nativeTtl(ttl) })),
      ),
    );
  }

  /** The stored text under `key`, bypassing deserialization; `undefined` when missing. */
  async getRaw(key: string): Promise<string | undefined> {
    assertKey(key);
    const route = this.#router.route(key);
    return this.guard("getRaw", key, undefined, () =>
      route.run("getRaw", key, [key], () =>
        route.call("getRaw", key, undefined, (backend) => backend.get(key)),
      ),
    );
  }

  /** Hits, misses and loader figures of this cache since it was created or `resetStats()`. */
  stats(): CacheStats {
    return this.#stats.snapshot();
  }

  /** Sets every `stats()` counter back to zero. */
  resetStats(): void {
    this.#stats.reset();
  }
}
