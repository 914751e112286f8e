import { MISS } from "../core/records";
import type { FeatureCache } from "../features/feature-cache";
import { configError, internalKey, refreshOnce, rejectLock, whereOf } from "./_meta";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";

/** Options of `hit`. */
export type HitOptions = StrategyOptions<never[]> & {
  /** How many calls are served a computed value after the call that computed it; a positive integer. */
  cacheHits: number;
  /** After this many hits (1 to `cacheHits`), refresh in the background while still serving. */
  updateAfter?: number;
};

/**
 * Serves a computed value `cacheHits` times, then recomputes: with `cacheHits: 3`, calls 1, 5, 9…
 * execute and the calls in between are hits. The value is stored plain under the call's key; a
 * call counter lives next to it under `__isocache__:hits:<key>` (on the default backend, given
 * the value's TTL each time a value is computed, so it never ends a cycle before its value) and
 * is advanced with the backend's atomic `incr`, so exactly one call in each `cacheHits + 1`
 * computes, in-process and across processes sharing a backend with atomic counters. In-process,
 * hits arriving while their cycle's value is being computed wait for it instead of serving the
 * previous one. `updateAfter: n` makes hit n of a cycle start a background refresh (through
 * `cache.background`), after which a new cycle starts.
 * @example
 * const top = cache.hit({ ttl: "1h", cacheHits: 100, updateAfter: 80 })(async function top() { … });
 */
export function hit(cache: FeatureCache, options: HitOptions): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "hit");
    const where = whereOf("hit", options, site);
    rejectLock(options, where);
    const cacheHits = count(options.cacheHits, "cacheHits", where);
    const updateAfter =
      options.updateAfter === undefined ? undefined : count(options.updateAfter, "updateAfter", where);
    if (updateAfter !== undefined && updateAfter > cacheHits) {
      throw configError(
        where,
        `\`updateAfter\` (${updateAfter}) exceeds \`cacheHits\` (${cacheHits})`,
        "lower updateAfter, or it never fires",
      );
    }
    const cycles = new HitCycles(plan, cacheHits + 1, updateAfter);
    return {
      call: (thisArg, args) => plan.run(thisArg, args, (key) => cycles.call(thisArg, args, key)),
      extras: cycles.extras(),
    };
  }) as StrategyDecorator;
}

function count(value: unknown, what: string, where: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  throw configError(
    where,
    `\`${what}\` must be a positive integer, got ${String(value)}`,
    `pass for example ${what}: 10`,
  );
}

/** The per-function state of `hit`: which keys are computing in this process. */
class HitCycles {
  readonly #plan: Plan;
  readonly #period: number;
  readonly #updateAfter: number | undefined;
  readonly #computing = new Map<string, Promise<unknown>>();

  constructor(plan: Plan, period: number, updateAfter: number | undefined) {
    this.#plan = plan;
    this.#period = period;
    this.#updateAfter = updateAfter;
  }

  async call(thisArg: unknown, args: unknown[], key: string): Promise<unknown> {
    const plan = this.#plan;
    if (plan.cache.scope().invalidate) {
      plan.stats.misses++;
      return this.#restart(thisArg, args, key);
    }
    const calls = await plan.cache.incr(internalKey("hits", key), 1, { ttl: plan.ttl(args) });
    const position = (calls - 1) % this.#period;
    const computing = this.#computing.get(key);
    if (position === 0 || computing !== undefined) {
      plan.stats.misses++;
      return position === 0 ? this.#compute(thisArg, args, key) : computing;
    }
    const stored = await plan.read(key, args);
    if (stored === MISS) return this.#computing.get(key) ?? this.#compute(thisArg, args, key);
    if (position === this.#updateAfter) this.#refreshLater(thisArg, args, key);
    return stored;
  }

  /** Executes and stores, letting this cycle's hits in this process wait for the result. */
  #compute(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const pending: Promise<unknown> = this.#load(thisArg, args, key).finally(() => {
      if (this.#computing.get(key) === pending) this.#computing.delete(key);
    });
    this.#computing.set(key, pending);
    return pending;
  }

  async #load(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const plan = this.#plan;
    const value = await plan.loadNow(thisArg, args, key);
    // `incr` gave the counter its TTL when it created it, maybe cycles ago: left alone, it would
    // end (and restart) this cycle before the value just stored has been served its hits.
    const ttl = plan.ttl(args as unknown[]);
    if (ttl !== undefined) await plan.cache.expire(internalKey("hits", key), ttl);
    return value;
  }

  /** Executes, stores, and starts a new cycle in which this value counts as computed. */
  async #restart(thisArg: unknown, args: readonly unknown[], key: string): Promise<unknown> {
    const value = await this.#compute(thisArg, args, key);
    await this.#plan.cache.set(internalKey("hits", key), 1, { ttl: this.#plan.ttl(args as unknown[]) });
    return value;
  }

  /** One background refresh per key in this cache (the counter makes it one per cycle across processes). */
  #refreshLater(thisArg: unknown, args: readonly unknown[], key: string): void {
    const cache = this.#plan.cache;
    refreshOnce(cache, internalKey("hit-refresh", key), `hit refresh of "${key}"`, async () => {
      const value = await this.#plan.loadNow(thisArg, args, key);
      await cache.set(internalKey("hits", key), 1, { ttl: this.#plan.ttl(args as unknown[]) });
      return value;
    });
  }

  /** The plan's extras, with `invalidate` and `refresh` also resetting the call counter. */
  extras(): object {
    const plan = this.#plan;
    const cycles = this;
    return {
      ...plan.extras(),
      async invalidate(this: unknown, ...args: unknown[]) {
        const key = await plan.keyOf(this, args);
        await plan.cache.delete(internalKey("hits", key));
        return plan.cache.delete(key);
      },
      refresh(this: unknown, ...args: unknown[]) {
        return plan.refreshing(this, args, (key) => cycles.#restart(this, args, key));
      },
    };
  }
}
