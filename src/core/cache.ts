import { StatsCounter } from "../features/stats";
import { assertFunction } from "./arguments";
import { SUPPRESSED, Suppressed } from "./backend-guard";
import { CacheBatches, entryList, type ManyEntries } from "./batches";
import { assertIncrBy, incrOn, incrStrictOn } from "./cache-incr";
import { CacheKernel } from "./cache-kernel";
import {
  assertCacheOptions,
  assertGetOrSetOptions,
  assertRawValue,
  assertSetOptions,
  assertTtlOptions,
  type CacheOptions,
  type GetOrSetOptions,
  type Platform,
  type SetOptions,
  ttlOption,
} from "./cache-options";
import { getOrSetOn } from "./cache-reads";
import { clearRoutes, countKeys, setupRoute } from "./cache-routes";
import { type Duration, toMilliseconds } from "./durations";
import { assertKey, assertKeys, assertPattern } from "./keys";
import { deleteLive, expiryOf, isReadValue, liveExists, MISS, setExpiry } from "./records";
import { Router } from "./router";
import { isDisabled } from "./scope";
import { SingleFlight } from "./single-flight";

export type { CacheOptions, GetOrSetOptions, Platform, SetOptions } from "./cache-options";

/**
 * An async cache over one or more backends routed by key prefix. Runtime entries export a
 * subclass wired to their platform, so `new Cache()` works the same everywhere.
 * @example
 * const cache = new Cache().setup("mem://?size=1000");
 * await cache.set("user:1", { name: "Ada" }, { ttl: "10m" });
 */
export class CacheCore extends CacheKernel {
  // The kernel's router, stats and single-flight, held here too so the commands reach them
  // through a field of their own, as the kernel's reads do, not through a call.
  readonly #router: Router;
  readonly #flight: SingleFlight;
  readonly #stats: StatsCounter;
  readonly #batches: CacheBatches;

  constructor(platform: Platform, options: CacheOptions = {}) {
    assertCacheOptions(options);
    const clock = options.clock ?? platform.clock;
    const router = new Router(() => setupRoute(platform, clock, platform.defaultUrl, {}));
    const stats = new StatsCounter();
    const flight = new SingleFlight();
    super(platform, clock, router, stats, flight);
    this.#router = router;
    this.#stats = stats;
    this.#flight = flight;
    this.#batches = new CacheBatches(router, clock, stats, (key, name, ttl, backend) =>
      this.recordHit(key, name, ttl, backend),
    );
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

  /** Stores `value`; `true` when stored (see `exist`). Replaces both value and TTL. */
  set(key: string, value: unknown, options: SetOptions = {}): Promise<boolean> {
    let ttl: number | undefined;
    try {
      assertKey(key);
      assertSetOptions(key, options);
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
    assertFunction(
      factory,
      "getOrSet(%k, factory)",
      "pass the loader, such as async () => fetchUser(id)",
      key,
    );
    assertGetOrSetOptions(key, options);
    const ttl = ttlOption(options.ttl);
    if (isDisabled(this.scope(), "getOrSet")) return factory(); // disabled: call straight through
    return this.guard("getOrSet", key, undefined as T, async (tx) => {
      const route = this.#router.route(key);
      if (tx !== undefined)
        return tx.getOrSet(
          key,
          () => this.load(factory),
          ttl,
          options.tags,
          (found) => this.counted(key, "getOrSet", ttl, route, found),
        ) as Promise<T>;
      return route.run("getOrSet", key, [key, factory, options], () =>
        getOrSetOn(this, route, this.#stats, this.#flight, key, factory, ttl, options),
      );
    });
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
        // Counted in stats() and detect as outside the transaction.
        const values = await Promise.all(
          keys.map((key) =>
            tx
              .get(key)
              .then((value) => this.counted(key, "getMany", undefined, this.#router.route(key), value)),
          ),
        );
        return values.map((value) => (value === MISS ? defaultValue : (value as T)));
      },
    );
  }

  /** Stores many entries, given as `[key, value][]` or a record, with one TTL. */
  async setMany(entries: ManyEntries, options: { ttl?: Duration } = {}): Promise<void> {
    const list = entryList(entries);
    assertTtlOptions(options, "setMany(entries, options)");
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
    assertIncrBy(key, by);
    assertTtlOptions(options, "incr(%k, by, options)", key);
    const ttl = ttlOption(options.ttl);
    return this.guard("incr", key, by, (tx) => {
      if (tx !== undefined) return tx.incr(key, by, ttl);
      const route = this.#router.route(key);
      return route.run("incr", key, [key, by, options], () => incrOn(route, this.clock, key, by, ttl));
    });
  }

  /**
   * `incr` for a guard that must not admit a call it could not count (rate limits): a backend
   * failure `suppress` reported comes back as the `Suppressed` it was, not as a count of `by`.
   * @internal
   */
  incrStrict(key: string, by: number, ttl: number | undefined): Promise<number | Suppressed> {
    assertKey(key);
    return this.guard<number | Suppressed>("incr", key, by, (tx) => {
      if (tx !== undefined) return tx.incr(key, by, ttl);
      const route = this.#router.route(key);
      return route.run("incr", key, [key, by, { ttl }], () => incrStrictOn(route, this.clock, key, by, ttl));
    });
  }

  /** Deletes `key`; `true` if it existed. */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    return this.guard("delete", key, false, (tx) => {
      if (tx !== undefined) return tx.delete(key);
      const route = this.#router.route(key);
      return route.run("delete", key, [key], () => deleteLive(route, this.clock, key));
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

  /**
   * `"PONG"`, or `message`, from the default backend. A health check: a backend that fails
   * rejects it with `CacheBackendError` under `suppress` too (after reporting to `onError`),
   * rather than answering "PONG" for it. A disabled cache or backend answers without asking.
   */
  async ping(message?: string): Promise<string> {
    const route = this.#router.default();
    const reply = message ?? "PONG";
    const answer = await this.guard("ping", undefined, reply, () =>
      route.run("ping", undefined, [message], () =>
        route.call<string | Suppressed | typeof SUPPRESSED>("ping", undefined, SUPPRESSED, (backend) =>
          backend.ping(message),
        ),
      ),
    );
    if (answer instanceof Suppressed) throw answer.error;
    return answer === SUPPRESSED ? reply : answer; // SUPPRESSED itself: a disabled backend, not asked
  }

  /** Removes every key from every backend. */
  async clear(): Promise<void> {
    return this.guard("clear", undefined, undefined, () => clearRoutes(this.#router.distinct()));
  }

  /** Number of keys over all backends. */
  async getKeysCount(): Promise<number> {
    return this.guard("getKeysCount", undefined, 0, () => countKeys(this.#router.distinct()));
  }

  /** Stores `value` as it is, bypassing serialization, signing and compression. */
  async setRaw(key: string, value: string, options: { ttl?: Duration } = {}): Promise<boolean> {
    assertKey(key);
    assertRawValue(value);
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
}
