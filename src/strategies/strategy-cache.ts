import { FeatureCache } from "../features/feature-cache";
import type { ErrorClass } from "./conditions";
import type { StrategyOptions } from "./plan";
import type { StrategyDecorator } from "./types";
import { cached } from "./cached";

/** The full cache: basic API, request-scoped features, and the strategy factories. */
export class StrategyCache extends FeatureCache {
  #failExceptions: readonly ErrorClass[] = [];

  /**
   * Executes, stores for `ttl`, serves from cache until then.
   * @example const getUser = cache.cached({ ttl: "3h", key: "user:{id}" })(async function getUser(id: string) { … });
   */
  cached(options?: StrategyOptions<never[]>): StrategyDecorator {
    return cached(this, options);
  }

  /** The errors `failover` falls back on when its own `exceptions` option is absent; none = any error. */
  setDefaultFailExceptions(...errors: ErrorClass[]): void {
    this.#failExceptions = errors;
  }

  /** The errors set by `setDefaultFailExceptions`. */
  get defaultFailExceptions(): readonly ErrorClass[] {
    return this.#failExceptions;
  }
}
