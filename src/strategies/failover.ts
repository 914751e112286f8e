import { MISS } from "../core/records";
import { configError, rejectLock, whereOf } from "./_meta";
import { type ErrorClass, isOneOf } from "./conditions";
import { adapt } from "./decorate";
import { Plan, type StrategyOptions } from "./plan";
import type { StrategyCache } from "./strategy-cache";
import type { StrategyDecorator } from "./types";

/** Options of `failover`. */
export type FailoverOptions = StrategyOptions<never[]> & {
  /** Errors that fall back on the stored value; default `cache.defaultFailExceptions`, and when that is empty, any error. */
  exceptions?: readonly ErrorClass[];
};

/**
 * Always calls through and stores each success (plain, under the call's key, for `ttl`); when the
 * call throws one of `exceptions`, returns the stored value instead (a hit, seen by `detect` as
 * `failover`), and rethrows when there is none. Other errors are rethrown at once. Errors are
 * never stored. The default exceptions are read on each call, so `setDefaultFailExceptions`
 * applies to functions wrapped before it.
 * @example
 * const rates = cache.failover({ ttl: "1d", exceptions: [TypeError] })(async function rates() { … });
 */
export function failover(cache: StrategyCache, options: FailoverOptions): StrategyDecorator {
  return adapt((fn, site) => {
    const plan = new Plan(cache, fn, site, options, "failover");
    const where = whereOf("failover", options, site);
    rejectLock(options, where);
    const own = options.exceptions;
    if (own !== undefined && (!Array.isArray(own) || !own.every((item) => typeof item === "function"))) {
      throw configError(
        where,
        "`exceptions` must be an array of error classes",
        "pass for example exceptions: [TypeError]",
      );
    }
    const fallsBack = (error: unknown): boolean => {
      const classes = own ?? cache.defaultFailExceptions;
      return classes.length === 0 || isOneOf(error, classes);
    };
    return {
      call: (thisArg, args) =>
        plan.run(thisArg, args, (key) =>
          plan.withTicket(key, async (ticket) => {
            // Rendered before the run, so a bad tag refuses the call; awaited only when there are tags.
            const rendering = plan.tagsOf(args);
            const tags = rendering === undefined ? undefined : await rendering;
            let done: { value: unknown; elapsed: number };
            try {
              done = await plan.execute(thisArg, args);
            } catch (error) {
              if (!fallsBack(error)) throw error;
              const stored = await plan.read(key, args);
              if (stored === MISS) throw error;
              return stored;
            }
            // A call answered by the function, not the cache: a miss in `fn.stats()`, so
            // requests count every call and hitRate is the share served by the fallback.
            plan.stats.misses++;
            await plan.store(key, args, done.value, done.elapsed, ticket, tags);
            return done.value;
          }),
        ),
      extras: plan.extras(),
    };
  }) as StrategyDecorator;
}
