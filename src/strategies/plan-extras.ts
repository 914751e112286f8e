// The extras a wrapper gains from its plan (`fn.key`, `fn.invalidate`, `fn.refresh`,
// `fn.stats`), made once per wrapped function.
import type { Plan, WrappedExtras } from "./plan";

/** The extras of a wrapper over `plan`: `key`, `invalidate`, `refresh`, `stats`. */
export function planExtras(plan: Plan): WrappedExtras<unknown[], unknown> {
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

function receiver(thisArg: unknown): unknown {
  return typeof thisArg === "function" ? undefined : thisArg;
}
