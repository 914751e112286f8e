import type { CacheStats, StatsCounter } from "../features/stats";
import { NOT_NATIVE } from "./atomic";
import { guardCommand } from "./cache-guard";
import type { Platform } from "./cache-options";
import { timedLoad } from "./cache-reads";
import { setupRoute } from "./cache-routes";
import type { Clock } from "./clock";
import type { ContextStore } from "./context";
import type { Duration } from "./durations";
import { CacheLocks, type IsLockedOptions, type LockOptions } from "./locks";
import { decodeValue, isReadValue, MISS, NOT_SYNC, readSync, readValue, writeValue } from "./records";
import type { LoadTicket, Route } from "./route";
import type { Router } from "./router";
import { childScope, isDisabled, rootScope, type Scope, type TxHooks } from "./scope";
import type { SetupOptions, SetupTarget } from "./setup";
import type { SingleFlight } from "./single-flight";
import type { Backend } from "./types";

/**
 * What every command of a cache and every strategy over it builds on: its routes, its scope,
 * its stats, single-flight and locks, and the reads and writes of one key that strategies and
 * features call directly. `CacheCore` adds the other commands; it makes the router, stats and
 * single-flight and hands them in, so both classes keep them private.
 */
export class CacheKernel {
  /** Time source used for TTLs kept in records. */
  readonly clock: Clock;
  /** The platform this cache runs on. */
  readonly platform: Platform;
  readonly #router: Router;
  readonly #flight: SingleFlight;
  readonly #stats: StatsCounter;
  readonly #locks: CacheLocks;
  #context: ContextStore<Scope> | undefined;
  readonly #globalScope: Scope = rootScope();

  /** A cache on `platform` over `router`; `CacheCore`'s constructor is the one to call. @internal */
  constructor(platform: Platform, clock: Clock, router: Router, stats: StatsCounter, flight: SingleFlight) {
    this.platform = platform;
    this.clock = clock;
    this.#router = router;
    this.#stats = stats;
    this.#flight = flight;
    this.#locks = new CacheLocks(router, clock);
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
    return guardCommand(this.scope(), command, key, disabledValue, run);
  }

  /**
   * Adds a backend: a URL (`"mem://?size=1000"`, `"redis://…"`), a `Backend` object, or a list of
   * them as tiers. Without `prefix` it serves every key no prefixed backend claims.
   * Throws `CacheConfigError` at once for a malformed URL, unknown scheme or bad option.
   */
  setup(target: SetupTarget, options?: SetupOptions): this {
    this.#router.add(setupRoute(this.platform, this.clock, target, options ?? {}));
    return this;
  }

  /** The backend that serves `key`. */
  backendFor(key: string): Backend {
    return this.#router.route(key).backend;
  }

  /**
   * Closes every backend, those an earlier `setup` of the same prefix replaced too; the next
   * command opens the ones in use again.
   */
  async close(): Promise<void> {
    await Promise.all(this.#router.closing().map((route) => route.close()));
  }

  /** The route serving `key` (backend, codec, `suppress`, `timeout`), for features that call optional backend methods. @internal */
  routeFor(key: string): Route {
    return this.#router.route(key);
  }

  /** One route per distinct backend, the default last, for features that visit every backend. @internal */
  routes(): Route[] {
    return this.#router.distinct();
  }

  /**
   * Reads `key` as the `get` command does (scope, transaction, middlewares, stats) and returns
   * `MISS` on a miss; a hit is noted for `detect` under `name` with `ttl`.
   * @internal
   */
  fetch(key: string, name: string, ttl: number | undefined): Promise<unknown> {
    // Promise chains, not async frames: a cold miss of `cached()` comes through here.
    return this.guard("get", key, MISS, (tx) => {
      const route = this.#router.route(key);
      if (tx !== undefined) return tx.get(key).then((value) => this.counted(key, name, ttl, route, value));
      return route.run("get", key, [key], () =>
        readValue(route, this.clock, key).then((value) => this.counted(key, name, ttl, route, value)),
      );
    });
  }

  /** Counts a read of `key` on `route` in `stats()` and a hit for `detect`; returns `value`. @internal */
  counted(key: string, name: string, ttl: number | undefined, route: Route, value: unknown): unknown {
    if (value === MISS) {
      this.#stats.misses++;
      return MISS;
    }
    this.#stats.hits++;
    this.recordHit(key, name, ttl, route.backend.name);
    return value;
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
   * run's ticket for `key` (see `Route.ticket`). Inside a transaction only its own callers share
   * it: a load there reads the transaction's pending writes, one outside does not. @internal
   */
  singleFlight<T>(key: string, load: (ticket: LoadTicket) => Promise<T>): Promise<T> {
    const tx = this.scope().tx as TxHooks | undefined;
    if (tx !== undefined) return tx.singleFlight(key, load);
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

  /** Records one run of a wrapped function (see `Plan.execute`) in `stats()`. @internal */
  countLoad(ms: number, failed: boolean): void {
    this.#stats.load(ms, failed);
  }

  /** Runs a loader and records its time and outcome in `stats()`. */
  load<T>(loader: () => T | Promise<T>): Promise<T> {
    return timedLoad(this.#stats, loader);
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
      this.#router.route(lockKey) === route &&
      // Once the backend is up its atomic methods are known: without this one, the attempt would
      // show middlewares a `setLock` that does nothing before the real one.
      (route.backend.lockUnlessStored !== undefined || !route.initialised)
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
    return this.#lockThenRead(lockKey, key, token, ttl, name);
  }

  /** `setLockUnlessStored` in two commands: `setLock`, then a read of `key`. */
  async #lockThenRead(lockKey: string, key: string, token: string, ttl: number, name: string) {
    const taken = await this.setLock(lockKey, token, ttl);
    let value: unknown;
    try {
      value = await this.fetch(key, name, undefined);
    } catch (error) {
      // The caller never learns it holds the lock: left, it would stall every process for its TTL.
      if (taken) await this.unlock(lockKey, token).catch(() => undefined);
      throw error;
    }
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

  /** Hits, misses and loader figures of this cache since it was created or `resetStats()`. */
  stats(): CacheStats {
    return this.#stats.snapshot();
  }

  /** Sets every `stats()` counter back to zero. */
  resetStats(): void {
    this.#stats.reset();
  }
}
