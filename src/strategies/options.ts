import { CacheConfigError, errorMessage } from "../core/errors";
import { shownValue, unknownName } from "../core/suggest";

/** The options every strategy built on `Plan` reads. */
const PLAN = ["ttl", "key", "prefix", "tags", "condition", "timeCondition", "lock", "name"] as const;
const NAMED = ["key", "prefix", "name"] as const;

/** Which option names each strategy factory knows. */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  cached: PLAN,
  failover: [...PLAN, "exceptions"],
  hit: [...PLAN, "cacheHits", "updateAfter"],
  early: [...PLAN, "earlyTtl"],
  soft: [...PLAN, "softTtl"],
  iterator: PLAN,
  locked: [...PLAN, "wait", "step"],
  rateLimit: [...NAMED, "limit", "period", "ttl", "action"],
  sliceRateLimit: [...NAMED, "limit", "period", "action"],
  circuitBreaker: [...NAMED, "errorsRate", "period", "ttl", "halfOpenTtl", "minCalls", "exceptions"],
  // bloom refuses ttl, tags, condition, timeCondition and lock itself, with a reason.
  bloom: [...PLAN, "capacity", "falsePositives"],
  invalidate: ["argsMap"],
};

/**
 * Checks a strategy factory's options before anything is wrapped: an object, only option names
 * the strategy knows (a typo such as `ttll` would otherwise be ignored and the default used), and
 * the right type for the options every strategy shares. Throws `CacheConfigError`.
 */
export function checkStrategyOptions(strategy: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw fail(
      strategy,
      `options must be an object, got ${shownValue(options)}`,
      'pass for example { ttl: "1h" }',
    );
  }
  const known = KNOWN[strategy] ?? [];
  const unknown = unknownName(options, known);
  if (unknown !== undefined) {
    throw fail(
      strategy,
      `unknown option \`${unknown.name}\``,
      unknown.near === undefined
        ? `remove it; ${strategy} takes ${known.join(", ")}`
        : `did you mean \`${unknown.near}\`? ${strategy} takes ${known.join(", ")}`,
    );
  }
  checkSharedOptions(strategy, options as Record<string, unknown>);
}

/** The types of the options every strategy shares, where they are given. */
function checkSharedOptions(strategy: string, given: Record<string, unknown>): void {
  for (const name of ["prefix", "name"] as const) {
    const value = given[name];
    if (value !== undefined && typeof value !== "string") {
      throw fail(
        strategy,
        `\`${name}\` must be a string, got ${shownValue(value)}`,
        `pass for example ${name}: "v2"`,
      );
    }
  }
  if (given.name === "") throw fail(strategy, "`name` is empty", 'pass a name such as name: "getUser"');
  if (given.lock !== undefined && typeof given.lock !== "boolean") {
    throw fail(strategy, `\`lock\` must be true or false, got ${shownValue(given.lock)}`, "pass lock: true");
  }
  const tags = given.tags;
  if (
    tags !== undefined &&
    (!Array.isArray(tags) || tags.some((tag) => typeof tag !== "string" || tag.length === 0))
  ) {
    throw fail(
      strategy,
      `\`tags\` must be an array of non-empty strings, got ${shownValue(tags)}`,
      'pass for example tags: ["users", "user:{id}"]',
    );
  }
}

function fail(strategy: string, problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage(strategy, problem, remedy));
}
