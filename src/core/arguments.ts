// Checks of the arguments that are not keys: a call that runs the caller's function refuses
// anything else before it runs, with the error every wrong argument gets, instead of the
// engine's bare TypeError from deep inside (`work is not a function`).
import { CacheArgumentError, errorMessage } from "./errors";
import { shownValue } from "./suggest";

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

function callText(call: string, key: string | undefined): string {
  return key === undefined ? call : call.replace("%k", JSON.stringify(key));
}

function refused(what: string, example: string): CacheArgumentError {
  return new CacheArgumentError(errorMessage(undefined, what, example));
}
