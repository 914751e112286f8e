import { type Duration, toMilliseconds } from "../core/durations";
import { CacheConfigError, errorMessage } from "../core/errors";
import { shownValue, unknownName } from "../core/suggest";

/** A `CacheConfigError` of the Hono middleware: `[isocache] [hono] problem: remedy`. */
export function configError(problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage("hono", problem, remedy));
}

/**
 * Checks that a middleware's `options` is an object (or absent when `optional`) naming only
 * options it knows, since a misspelt one (`statuses` as `status`) would otherwise be ignored.
 */
export function checkOptionNames(
  who: string,
  options: unknown,
  known: readonly string[],
  example: string,
  optional = false,
): void {
  if (options === undefined && optional) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw configError(
      `${who} options must be an object, got ${shownValue(options)}`,
      `pass for example ${example}`,
    );
  }
  const unknown = unknownName(options, known);
  if (unknown !== undefined) {
    throw configError(
      `${who} has no option \`${unknown.name}\``,
      unknown.near === undefined
        ? `remove it; ${who} takes ${known.join(", ")}`
        : `did you mean \`${unknown.near}\`? ${who} takes ${known.join(", ")}`,
    );
  }
}

/** Checks that `cache`, when given, is an isocache cache. */
export function checkCacheOption(value: unknown): void {
  if (value === undefined || typeof (value as { cached?: unknown } | null)?.cached === "function") return;
  throw configError(
    `\`cache\` must be an isocache Cache, got ${shownValue(value)}`,
    'pass { cache } (import { cache } from "isocache"), or leave it out to use c.var.cache',
  );
}

/** A fixed `ttl` in milliseconds, which must be positive. */
export function fixedTtl(value: Duration): number {
  const ms = toMilliseconds(value, "ttl");
  // 0 is "no expiry" to the cache, but a response kept forever is a slip more often than a wish;
  // a `ttl` function may still give 0 for one request (`max-age=0`: store nothing).
  if (ms <= 0)
    throw configError(`\`ttl\` must be positive, got ${shownValue(value)}`, 'pass for example { ttl: "5m" }');
  return ms;
}

// RFC 9110 §5.1 and §9.1: field names and method names are tokens.
const TOKEN = /^[!#$%&'*+.^_`|~\w-]+$/;

/**
 * `vary` as lower-case header names: an array of names, or one string in the `Vary` header's
 * own form (`"accept, accept-language"`), as Hono's `cache()` takes it.
 */
export function varyOption(value: unknown): string[] {
  if (value === undefined) return [];
  const names = typeof value === "string" ? value.split(",").map((name) => name.trim()) : value;
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string" || !TOKEN.test(name))) {
    throw configError(
      `\`vary\` must list request header names, got ${shownValue(value)}`,
      'pass for example vary: ["accept-language"]',
    );
  }
  const vary = names.map((name: string) => name.toLowerCase());
  if (vary.includes("*"))
    throw configError('`vary` cannot include "*"', "list the request headers to key by");
  return vary;
}

/** `methods` as upper-case method names; default GET. */
export function methodsOption(value: unknown): string[] {
  if (value === undefined) return ["GET"];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((method) => typeof method !== "string" || !TOKEN.test(method))
  ) {
    throw configError(
      `\`methods\` must be a non-empty array of method names, got ${shownValue(value)}`,
      'pass for example methods: ["GET"]',
    );
  }
  return value.map((method: string) => method.toUpperCase());
}

// Answers to one request's Range or validators: entries are keyed by URL, so a stored one would
// answer requests that asked for something else (another range, or the whole body).
const PER_REQUEST_STATUSES: Record<number, [string, string]> = {
  206: [
    "a partial response answers one request's Range, and would be replayed for every other range and for the whole body",
    "leave 206 out (a stored 200 answers Range requests whole)",
  ],
  304: [
    "a 304 answers one client's validators, and would be replayed to clients that have no copy",
    "leave 304 out and mount etag() to answer If-None-Match from the stored response",
  ],
};

/** `statuses` as HTTP status codes; default 200. */
export function statusesOption(value: unknown): number[] {
  if (value === undefined) return [200];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((status) => !Number.isInteger(status) || status < 100 || status > 599)
  ) {
    throw configError(
      `\`statuses\` must be a non-empty array of status codes (100 to 599), got ${shownValue(value)}`,
      "pass for example statuses: [200, 404]",
    );
  }
  const refused = value.find((status) => PER_REQUEST_STATUSES[status] !== undefined);
  if (refused !== undefined) {
    const [why, remedy] = PER_REQUEST_STATUSES[refused] as [string, string];
    throw configError(`\`statuses\` cannot include ${refused}: ${why}`, remedy);
  }
  return value;
}
