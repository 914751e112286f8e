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
 * AsyncLocalStorage; overlapping concurrent scopes see the most recently entered one.
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
      if (result instanceof Promise) {
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

function removeLast<T>(stack: T[], store: T): void {
  const at = stack.lastIndexOf(store);
  if (at >= 0) stack.splice(at, 1);
}
