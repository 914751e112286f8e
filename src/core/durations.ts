import { CacheConfigError, errorMessage } from "./errors";

/** A duration: a number of milliseconds, or text such as `"500ms"`, `"10s"`, `"2h5m"`, `"1d2h3m50s"`. */
export type Duration = string | number;

/** A TTL option: a fixed duration, or a function of the call's arguments returning one. */
export type TtlOption<A extends unknown[] = unknown[]> = Duration | ((...args: A) => Duration);

/** Resolves a checked TTL option for one call: milliseconds, or `undefined` for no expiry. */
export type TtlResolver<A extends unknown[] = unknown[]> = (args: A) => number | undefined;

/** The longest delay a timer keeps (2^31 - 1 ms, about 24.8 days): a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
const UNIT_ORDER = ["w", "d", "h", "m", "s", "ms"] as const;
// `ms` before `m` so "5ms" is not read as five minutes and a stray "s".
const COMPONENT = /\s*(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/y;
const EXAMPLES = `a number of milliseconds or text such as "500ms", "1.5s", "10m", "2h5m" or "1d2h3m50s" (units w, d, h, m, s, ms, largest first, each at most once)`;

/**
 * Parses duration text into whole milliseconds: components `<number><unit>` with units `w`, `d`,
 * `h`, `m`, `s`, `ms`, largest unit first, each unit at most once (`"1s1s"` and `"5m1h"` are
 * rejected as likely typos); decimals allowed (`"1.5s"` = 1500); whitespace around and between
 * components ignored; a bare `"0"` is 0 (any other number needs a unit). The result is rounded
 * to the nearest millisecond, but a positive duration never rounds down to 0.
 * @throws CacheConfigError for malformed text (`"1.5x"`, `"1h30"`, `""`, `"-5s"`), quoting it.
 * @example parseDuration("1m10s") // 70000
 */
export function parseDuration(text: string, what = "duration"): number {
  if (typeof text !== "string") throw invalid(what, text);
  const input = text.trim();
  if (input === "0") return 0;
  let total = 0;
  let rank = -1;
  let index = 0;
  COMPONENT.lastIndex = 0;
  while (index < input.length) {
    const match = COMPONENT.exec(input);
    if (match === null) throw invalid(what, text);
    const unit = match[2] as keyof typeof UNIT_MS;
    const unitRank = UNIT_ORDER.indexOf(unit);
    if (unitRank <= rank) throw invalid(what, text, `unit "${unit}" repeated or out of order`);
    rank = unitRank;
    total += Number(match[1]) * UNIT_MS[unit];
    index = COMPONENT.lastIndex;
  }
  if (index === 0) throw invalid(what, text);
  return wholeMilliseconds(total, what, text);
}

/**
 * Converts a duration to whole milliseconds: a number must be finite and ≥ 0 (fractions are
 * rounded, a positive value never to 0); text goes through `parseDuration`.
 * @throws CacheConfigError naming `what` (for example `"ttl"`) when the value is not a valid duration.
 * @example toMilliseconds("2h5m") // 7500000
 */
export function toMilliseconds(value: Duration, what = "ttl"): number {
  if (typeof value === "string") return parseDuration(value, what);
  if (typeof value !== "number") throw invalid(what, value);
  return wholeMilliseconds(value, what, value);
}

/**
 * Validates a TTL option when it is given and returns a resolver for call time: a fixed duration
 * is parsed now (so a malformed one throws at setup, not on the first call) and resolves without
 * work; a function is called with the call's arguments and its result checked then. `0` (or
 * `"0s"`) means no expiry, as in lru-cache: a TTL that rounds to nothing never silently disables
 * caching, and a caller who wants no caching uses a condition instead. An absent option resolves
 * to `undefined` (no expiry).
 * @throws CacheConfigError now for a malformed fixed duration; at call time for a function
 * returning anything but a valid duration (a number ≥ 0 or duration text; not a Promise).
 * @example const ttl = checkTtlOption("1h"); ttl([]) // 3600000
 */
export function checkTtlOption<A extends unknown[] = unknown[]>(
  option: TtlOption<A> | undefined,
  what = "ttl",
): TtlResolver<A> {
  if (option === undefined) return noExpiry;
  if (typeof option === "function") return functionResolver(option, what);
  const ms = toMilliseconds(option, what) || undefined;
  return () => ms;
}

function noExpiry(): undefined {
  return undefined;
}

function functionResolver<A extends unknown[]>(fn: (...args: A) => Duration, what: string): TtlResolver<A> {
  const label = `${what} function result`;
  // A function TTL usually returns one of a few constants; remembering the last text keeps
  // parsing off the hot path.
  let lastText: string | undefined;
  let lastMs: number | undefined;
  return (args) => {
    const value = fn(...args);
    if (typeof value === "string") {
      if (value !== lastText) {
        lastMs = parseDuration(value, label) || undefined;
        lastText = value;
      }
      return lastMs;
    }
    return toMilliseconds(value, label) || undefined;
  };
}

function wholeMilliseconds(value: number, what: string, input: unknown): number {
  if (!Number.isFinite(value) || value < 0) throw invalid(what, input);
  const ms = Math.round(value);
  if (!Number.isSafeInteger(ms)) throw invalid(what, input, "too large");
  return ms === 0 && value > 0 ? 1 : ms;
}

function invalid(what: string, input: unknown, detail?: string): CacheConfigError {
  const problem = `invalid ${what} ${describe(input)}${detail ? ` (${detail})` : ""}`;
  return new CacheConfigError(errorMessage(undefined, problem, `use ${EXAMPLES}`));
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === "number") return String(value);
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  ) {
    return "(a Promise: return the duration synchronously)";
  }
  return `(${value === null ? "null" : typeof value})`;
}
