/**
 * The AsyncLocalStorage port. Runtime entries provide the real `AsyncLocalStorage` where the
 * runtime has one (Node, Bun, Deno, workerd with `nodejs_compat`); browsers get
 * `fallbackContext`, which keeps the value for the duration of `run` (synchronous part and the
 * awaited promise it returns) but cannot tell two overlapping scopes apart.
 */
export interface ContextStore<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}

/** Creates one context store; each feature that needs request scope makes its own. */
export type ContextFactory = <T>() => ContextStore<T>;

/**
 * Browser fallback: a stack of active scopes. Sequential scopes behave exactly like
 * AsyncLocalStorage; overlapping concurrent scopes see the most recently entered one. A store
 * marked `brief` (the library's own step outside a transaction) is active for the synchronous
 * part of `run` only: kept until its promise settled, it would be what every other context
 * sees meanwhile, and the commands of the transaction it stepped out of would run outside it.
 */
export function fallbackContext<T>(): ContextStore<T> {
  const stack: T[] = [];
  return {
    run<R>(store: T, fn: () => R): R {
      stack.push(store);
      let result: R;
      try {
        result = fn();
      } catch (error) {
        removeLast(stack, store);
        throw error;
      }
      if (result instanceof Promise && !isBrief(store)) {
        return result.finally(() => removeLast(stack, store)) as R;
      }
      removeLast(stack, store);
      return result;
    },
    getStore(): T | undefined {
      return stack[stack.length - 1];
    },
  };
}

/** True for a store that asks to be active for the synchronous part of `run` only. */
function isBrief(store: unknown): boolean {
  return typeof store === "object" && store !== null && (store as { brief?: unknown }).brief === true;
}

function removeLast<T>(stack: T[], store: T): void {
  const at = stack.lastIndexOf(store);
  if (at >= 0) stack.splice(at, 1);
}
