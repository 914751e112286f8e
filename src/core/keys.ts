import { CacheArgumentError, errorMessage } from "./errors";

/** Keys the cache keeps for itself (tag indexes, transaction locks) start with this; `scan` hides them. */
export const INTERNAL_PREFIX = "__isocache__:";

/** Throws `CacheArgumentError` (a `TypeError`) unless `key` is a non-empty, well-formed string. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) {
    throw new CacheArgumentError(
      errorMessage(
        undefined,
        `a cache key must be a non-empty string, got ${describeKey(key)}`,
        'pass a string such as "user:42"',
      ),
    );
  }
  if (!wellFormed(key)) throw loneSurrogate(undefined, key);
}

// A lone surrogate (half of an emoji, a string cut inside one): Redis, Upstash and KV keep keys as
// UTF-8, where each turns into U+FFFD, so "x\ud800" and "x\udc00" would be one key there.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (ES2024), which older browsers lack: looked up once. */
const NATIVE = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function";

/** True when `key` has no lone surrogate (a one-byte string is answered without a scan). */
export function wellFormed(key: string): boolean {
  return NATIVE ? (key as unknown as { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(key);
}

/** What a string with a lone surrogate was given as: it names the string in the message, and what it would turn into. */
export type TextRole = "key" | "tag" | "pattern";

const ROLES: Readonly<Record<TextRole, { readonly what: string; readonly becomes: string }>> = {
  key: { what: "a cache key", becomes: "store it as another key" },
  tag: { what: "a tag", becomes: "take it for another tag" },
  pattern: { what: "a key pattern", becomes: "match other keys with it" },
};

/**
 * The `CacheArgumentError` for `text`, which has a lone surrogate; `where` names the strategy, if
 * any, and `role` what the text was given as (default: a key).
 */
export function loneSurrogate(
  where: string | undefined,
  text: string,
  role: TextRole = "key",
): CacheArgumentError {
  const at = text.search(LONE_SURROGATE);
  const { what, becomes } = ROLES[role];
  return new CacheArgumentError(
    errorMessage(
      where,
      `${what} must be well-formed Unicode, got a string with a lone surrogate at index ${at}`,
      `pass whole characters (a string cut inside an emoji keeps half of it); Redis, Upstash and KV would ${becomes}`,
    ),
  );
}

/** Throws `CacheArgumentError` (a `TypeError`) unless `pattern` is a non-empty, well-formed string. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== "string" || pattern.length === 0) {
    throw new CacheArgumentError(
      errorMessage(
        undefined,
        `a key pattern must be a non-empty string, got ${describeKey(pattern)}`,
        'pass a Redis glob such as "user:*"',
      ),
    );
  }
  if (!wellFormed(pattern)) throw loneSurrogate(undefined, pattern, "pattern");
}

/** Throws `CacheArgumentError` (a `TypeError`) unless every entry of `keys` is a valid key. */
export function assertKeys(keys: unknown): asserts keys is readonly string[] {
  if (!Array.isArray(keys)) {
    throw new CacheArgumentError(
      errorMessage(
        undefined,
        `expected an array of keys, got ${describeKey(keys)}`,
        'pass for example ["a", "b"]',
      ),
    );
  }
  for (const key of keys) assertKey(key);
}

/** A short description of a bad key for a message: `number 5`, `an object`, `an empty string`. */
export function describeKey(key: unknown): string {
  if (key === "") return "an empty string";
  if (key === null) return "null";
  if (key === undefined) return "undefined (no key given)";
  if (typeof key === "function") return "a function";
  if (Array.isArray(key)) return "an array";
  return typeof key === "object" ? "an object" : `${typeof key} ${String(key)}`;
}
