import { checkTtlOption, type TtlOption, toMilliseconds } from "../core/durations";
import { CacheConfigError, errorMessage } from "../core/errors";
import { INTERNAL_PREFIX } from "../core/keys";
import { releasingAfter, sleep } from "../core/locks";
import { MISS } from "../core/records";
import type { LoadTicket } from "../core/route";
import type { FeatureCache } from "../features/feature-cache";
import { failureOf } from "./conditions";
import type { Site } from "./decorate";
import type { Plan, StrategyOptions, Tags } from "./plan";

/**
 * What `early` and `soft` store under the call's key: the result and the epoch millisecond (on
 * the cache's clock) from which it is due for a refresh. `cache.get(await fn.key(...))` returns it.
 */
export interface Stamped<T = unknown> {
  value: T;
  refreshAt: number;
}

/** True when `stored` has the shape `early` and `soft` write. */
export function isStamped(stored: unknown): stored is Stamped {
  return (
    typeof stored === "object" &&
    stored !== null &&
    Object.hasOwn(stored, "value") &&
    typeof (stored as { refreshAt?: unknown }).refreshAt === "number"
  );
}

/** A key the cache keeps for itself next to `key` (hidden from `scan`, routed like `key`: see `Router.route`). */
export function internalKey(kind: string, key: string): string {
  return `${INTERNAL_PREFIX}${kind}:${key}`;
}

/** How error messages name one wrapped function: `hit(getUser)`. */
export function whereOf(strategy: string, options: StrategyOptions<never[]>, site: Site): string {
  return `${strategy}(${options.name ?? (site.name || "anonymous")})`;
}

/** A `CacheConfigError` in the house format. */
export function configError(where: string, problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage(where, problem, remedy));
}

/** Refuses `lock: true` on strategies where a cross-process load lock means nothing. */
export function rejectLock(options: StrategyOptions<never[]>, where: string): void {
  if (options.lock === true) {
    throw configError(where, "`lock` has no effect on this strategy", "remove it (use cached or locked)");
  }
}

const LOCK_TTL_MS = 10_000;
const LOCK_STEP_MS = 25;

/** One load across processes: the lock holder loads, the others poll `peek` (`MISS` or a value) until it fills. */
async function loadLocked(
  cache: FeatureCache,
  key: string,
  peek: () => Promise<unknown>,
  load: () => Promise<unknown>,
): Promise<unknown> {
  const lockKey = internalKey("lock", key);
  const token = crypto.randomUUID();
  const deadline = Date.now() + LOCK_TTL_MS;
  while (Date.now() < deadline) {
    if (await cache.setLock(lockKey, token, LOCK_TTL_MS)) {
      return releasingAfter(
        cache.routeFor(lockKey),
        lockKey,
        async () => {
          const filled = await peek();
          return filled !== MISS ? filled : await load();
        },
        () => cache.unlock(lockKey, token),
      );
    }
    await sleep(LOCK_STEP_MS);
    const filled = await peek();
    if (filled !== MISS) return filled;
  }
  return load(); // the holder vanished: load rather than wait forever
}

/**
 * Runs background work outside the caller's `detect`, transaction, `invalidateFurther` and
 * `callback` scopes: it may outlive them, and what it does is the library's, not the caller's.
 */
export function detached<T>(cache: FeatureCache, work: () => Promise<T>): Promise<T> {
  return cache.withScope(
    { detect: undefined, tx: undefined, invalidate: false, callbacks: undefined, brief: true },
    work,
  );
}

/**
 * Starts `refresh` in the background unless one for `flightKey` already runs in this cache, and
 * hands it to `cache.background` as `what`. A refresh writes through to the cache, not into the
 * caller's transaction (`detached`), so it is single-flighted cache-wide too: a transaction's
 * own single-flight would let one started inside run beside one started outside.
 */
export function refreshOnce(
  cache: FeatureCache,
  flightKey: string,
  what: string,
  refresh: () => Promise<unknown>,
): void {
  let started = false;
  const work = detached(cache, () =>
    cache.singleFlight(flightKey, () => {
      started = true;
      return refresh();
    }),
  );
  if (started) cache.background(work, what);
}

/** The window option of `early` or `soft`, as the loader needs it. */
export interface WindowSpec {
  /** The option's value (`earlyTtl`, `softTtl`), required. */
  window: TtlOption<never[]> | undefined;
  /** Its name, for messages. */
  what: string;
  /** The wrapped function, for messages: `soft(prices)`. */
  where: string;
  /** Whether a cross-process waiter needs a value still inside its window (soft) or any value (early). */
  freshOnly: boolean;
}

/**
 * How `early` and `soft` load and store: `Stamped` records written when the plan's conditions
 * allow, loads shared per key (and with `lock`, across processes), and the window option
 * (`earlyTtl`, `softTtl`) checked now when fixed and on each call when a function.
 */
export class StampedLoader {
  readonly plan: Plan;
  readonly #window: (args: unknown[]) => number | undefined;
  readonly #timeMs: number | undefined;
  readonly #lock: boolean;
  readonly #freshOnly: boolean;
  readonly #where: string;
  readonly #what: string;

  constructor(plan: Plan, options: StrategyOptions<never[]>, spec: WindowSpec) {
    const { window, what, where } = spec;
    if (window === undefined) {
      throw configError(where, `\`${what}\` is required`, `pass for example ${what}: "1m"`);
    }
    this.plan = plan;
    this.#window = checkTtlOption(window as TtlOption<unknown[]>, what);
    const timeCondition = options.timeCondition;
    this.#timeMs = timeCondition === undefined ? undefined : toMilliseconds(timeCondition, "timeCondition");
    this.#lock = options.lock === true;
    this.#freshOnly = spec.freshOnly;
    this.#where = where;
    this.#what = what;
    if (typeof window === "function") return;
    if (typeof options.ttl !== "function" || this.#window([]) === undefined) this.windowOf([]);
  }

  /** The window for one call in milliseconds: positive and shorter than the call's TTL. */
  windowOf(args: unknown[]): number {
    const what = this.#what;
    const ms = this.#window(args);
    if (ms === undefined) {
      throw configError(this.#where, `\`${what}\` must be positive`, `pass for example ${what}: "1m"`);
    }
    const ttl = this.plan.ttl(args);
    if (ttl !== undefined && ms >= ttl) {
      const problem = `\`${what}\` (${ms} ms) must be shorter than \`ttl\` (${ttl} ms)`;
      throw configError(this.#where, problem, `lower ${what} or raise ttl`);
    }
    return ms;
  }

  /**
   * Executes now and stores the stamped result, or the error when a condition caches it, unless
   * `overStale`: the caller serves a stale value when this fails, which an error must not replace.
   */
  compute(thisArg: unknown, args: unknown[], key: string, overStale = false): Promise<unknown> {
    return this.plan.withTicket(key, (ticket) => this.#computeWith(thisArg, args, key, ticket, overStale));
  }

  /** `compute` under `ticket`, whose going stale holds the store back (see `Plan.store`). */
  async #computeWith(
    thisArg: unknown,
    args: unknown[],
    key: string,
    ticket: LoadTicket,
    overStale: boolean,
  ): Promise<unknown> {
    // Rendered before the run, so a bad tag refuses the call; awaited only when there are tags.
    const rendering = this.plan.tagsOf(args);
    const tags = rendering === undefined ? undefined : await rendering;
    let done: { value: unknown; elapsed: number };
    try {
      done = await this.plan.execute(thisArg, args);
    } catch (error) {
      if (!overStale) await this.plan.storeError(key, args, error, ticket, tags);
      throw error;
    }
    await this.store(key, args, done, ticket, tags);
    return done.value;
  }

  /** Executes and stores the stamped result now for `fn.refresh`, shared like `Plan.refresh`; never waits for a lock. */
  refresh(thisArg: unknown, args: unknown[], key: string): Promise<unknown> {
    return this.plan.cache.singleFlight(key, (ticket) =>
      this.#computeWith(thisArg, args, key, ticket, false),
    );
  }

  /** Loads once per key in this process (and across processes with `lock`), under the run's ticket (see `compute` for `overStale`). */
  load(thisArg: unknown, args: unknown[], key: string, overStale = false): Promise<unknown> {
    // As in `Plan.load`, a locked load takes a fresh ticket once it holds the lock.
    return this.plan.cache.singleFlight(key, (ticket) =>
      this.#lock
        ? loadLocked(
            this.plan.cache,
            key,
            () => this.#peek(key),
            () => this.compute(thisArg, args, key, overStale),
          )
        : this.#computeWith(thisArg, args, key, ticket, overStale),
    );
  }

  /**
   * Stores a result stamped with its refresh time, when the condition and `timeCondition` allow
   * and `ticket` did not go stale (see `Plan.store`); `tags` are the call's, rendered before it ran.
   */
  async store(
    key: string,
    args: unknown[],
    done: { value: unknown; elapsed: number },
    ticket: LoadTicket,
    tags: Tags,
  ): Promise<void> {
    const plan = this.plan;
    const condition = plan.condition;
    if (condition !== undefined && (condition.onlyExceptions === true || !condition(done.value, args, key))) {
      return;
    }
    if (this.#timeMs !== undefined && done.elapsed < this.#timeMs) return;
    if (plan.outdated(key, ticket, tags)) return;
    const stamped: Stamped = { value: done.value, refreshAt: plan.cache.clock.now() + this.windowOf(args) };
    await plan.cache.set(key, stamped, { ttl: plan.ttl(args), tags });
  }

  /** While waiting for another process's load: its value, or `MISS` (soft wants a fresh one). */
  async #peek(key: string): Promise<unknown> {
    const stored = await this.plan.cache.fetch(key, this.plan.strategy, undefined);
    const failed = failureOf(stored, this.plan.condition?.exceptions);
    if (failed !== undefined) throw failed.error;
    if (!isStamped(stored)) return MISS;
    return this.#freshOnly && stored.refreshAt <= this.plan.cache.clock.now() ? MISS : stored.value;
  }

  /** The plan's extras with a `refresh` that executes now and stores the stamped form. */
  extras(): object {
    const loader = this;
    return {
      ...this.plan.extras(),
      refresh(this: unknown, ...args: unknown[]) {
        return loader.plan.refreshing(this, args, (key) => loader.refresh(this, args, key));
      },
    };
  }
}
