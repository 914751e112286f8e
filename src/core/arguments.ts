// Checks of the arguments that are not keys: a call that runs the caller's function refuses
// anything else before it runs, with the error every wrong argument gets, instead of the
// engine's bare TypeError from deep inside (`work is not a function`).
import { CacheArgumentError, errorMessage } from "./errors";
import { shownValue } from "./suggest";

/** Throws `CacheArgumentError` unless `fn`, given to `call` (such as `getOrSet(key, factory)`), is a function. */
export function assertFunction(fn: unknown, call: string, example: string): void {
  if (typeof fn === "function") return;
  throw new CacheArgumentError(
    errorMessage(undefined, `${call} needs a function, got ${shownValue(fn)}`, example),
  );
}

/** Throws `CacheArgumentError` unless `options`, given to `call`, is an object. */
export function assertOptions(options: unknown, call: string, example: string): void {
  if (typeof options === "object" && options !== null && !Array.isArray(options)) return;
  throw new CacheArgumentError(
    errorMessage(undefined, `${call} needs an options object, got ${shownValue(options)}`, example),
  );
}
