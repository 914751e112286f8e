// The extras a wrapper gains from its plan (`fn.key`, `fn.invalidate`, `fn.refresh`,
// `fn.stats`), made once per wrapped function.
import type { Plan, WrappedExtras } from "./plan";

/** The extras of a wrapper over `plan`: `key`, `invalidate`, `refresh`, `stats`. */
export function planExtras(plan: Plan): WrappedExtras<unknown[], unknown> {
  return {
    // `this` is the receiver the wrapper's extras were called for (see `withReceiver` in decorate.ts).
    key(this: unknown, ...args: unknown[]) {
      try {
        return Promise.resolve(plan.keyOf(this, args));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async invalidate(this: unknown, ...args: unknown[]) {
      return plan.cache.delete(await plan.keyOf(this, args));
    },
    refresh(this: unknown, ...args: unknown[]) {
      return plan.refreshing(this, args, (key) => plan.refresh(this, args, key));
    },
    stats: () => plan.stats.snapshot(),
  };
}
