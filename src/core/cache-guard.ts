// The frame every command of the cache runs in: the scope may disable it, hand it to a
// transaction, or want its result reported to callbacks.
import { INTERNAL_PREFIX } from "./keys";
import { MISS } from "./records";
import { type CommandCallback, isDisabled, type Scope, type TxHooks } from "./scope";

/**
 * Runs one command unless `scope` disables it (then `disabledValue` is the result), and
 * reports the result to the scope's callbacks.
 */
export function guardCommand<T>(
  scope: Scope,
  command: string,
  key: string | undefined,
  disabledValue: T,
  run: (tx: TxHooks | undefined) => Promise<T>,
): Promise<T> {
  if (isDisabled(scope, command)) return Promise.resolve(disabledValue);
  let pending: Promise<T>;
  try {
    pending = run(scope.tx as TxHooks | undefined);
  } catch (error) {
    return Promise.reject(error); // a middleware that throws: the command fails, never the caller's frame
  }
  const callbacks = scope.callbacks;
  // The library's own commands on internal keys (hit counters, locks, tag indexes) are not the
  // caller's: they stay out of callbacks as they stay out of `scan`.
  if (callbacks === undefined || key?.startsWith(INTERNAL_PREFIX)) return pending;
  return pending.then((result) => {
    report(callbacks, command, key, result);
    return result;
  });
}

/** Hands one command's result to the callbacks registered for it (or for every command). */
function report(
  callbacks: readonly CommandCallback[],
  command: string,
  key: string | undefined,
  result: unknown,
): void {
  for (const callback of callbacks) {
    if (callback.command !== undefined && callback.command !== command) continue;
    try {
      callback.fn(key, result === MISS ? undefined : result);
    } catch {
      // A failing callback must not change the command's outcome.
    }
  }
}
