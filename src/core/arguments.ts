// Checks of the arguments that are not keys: a call that runs the caller's function refuses
// anything else before it runs, with the error every wrong argument gets, instead of the
// engine's bare TypeError from deep inside (`work is not a function`).
import { CacheArgumentError, errorMessage } from "./errors";
import { shownValue, unknownOptionHint } from "./suggest";

/**
 * Throws `CacheArgumentError` unless `fn`, given to `call` (such as `"getOrSet(%k, factory)"`, where
 * `%k` stands for `key`, quoted only when the message is made: these checks sit on hot paths), is a function.
 */
export function assertFunction(fn: unknown, call: string, example: string, key?: string): void {
  if (typeof fn === "function") return;
  throw refused(`${callText(call, key)} needs a function, got ${shownValue(fn)}`, example);
}

/** Throws `CacheArgumentError` unless `options`, given to `call` (as in `assertFunction`), is an object. */
export function assertOptions(options: unknown, call: string, example: string, key?: string): void {
  if (typeof options === "object" && options !== null && !Array.isArray(options)) return;
  throw refused(`${callText(call, key)} needs an options object, got ${shownValue(options)}`, example);
}

/**
 * Throws `CacheArgumentError` unless `options`, given to `call` (as in `assertFunction`), is an
 * object whose names are all in `known`: a mistyped `{ ttll: "10m" }` would otherwise be dropped
 * without a word, and the value kept forever. The names are walked without copying them (these
 * checks run on every `set`).
 */
export function assertKnownOptions(
  options: unknown,
  call: string,
  known: readonly string[],
  example: string,
  key?: string,
): void {
  assertOptions(options, call, example, key);
  for (const name in options as object) {
    if (known.includes(name)) continue;
    throw refused(`${callText(call, key)} has no option \`${name}\``, unknownOptionHint(name, known));
  }
}

/** Throws `CacheArgumentError` unless `flag`, the option `name` of `call` (as in `assertFunction`), is a boolean or absent. */
export function assertFlag(flag: unknown, name: string, call: string, key?: string): void {
  if (flag === undefined || typeof flag === "boolean") return;
  throw refused(
    `${callText(call, key)} \`${name}\` must be true or false, got ${shownValue(flag)}`,
    `pass ${name}: true or ${name}: false, or leave it out`,
  );
}

function callText(call: string, key: string | undefined): string {
  return key === undefined ? call : call.replace("%k", JSON.stringify(key));
}

function refused(what: string, example: string): CacheArgumentError {
  return new CacheArgumentError(errorMessage(undefined, what, example));
}
