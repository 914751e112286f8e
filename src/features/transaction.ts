import type { CacheCore } from "../core/cache";
import { type Duration, toMilliseconds } from "../core/durations";
import type { Scope } from "../core/scope";
import { CacheTransaction } from "./cache-transaction";
import { acquire, release, SERIALIZABLE_LOCK } from "./transaction-locks";

/** Options of `transaction`. */
export interface TransactionOptions {
  /** `fast` (default): no locks; `locked`: each written key is locked until commit; `serializable`: one transaction at a time. */
  mode?: "fast" | "locked" | "serializable";
  /** Longest wait for a lock before `LockedError`; default 10 s. */
  timeout?: Duration;
}

/** The handle a transaction function receives. */
export interface Transaction {
  readonly mode: "fast" | "locked" | "serializable";
  /** Drops every write of this transaction (the outer one when nested) when the function ends. */
  rollback(): void;
}

/** The transaction in `scope`, if any. */
export function transactionIn(scope: Scope): CacheTransaction | undefined {
  return scope.tx instanceof CacheTransaction ? scope.tx : undefined;
}

/** Runs `fn` inside a transaction on `cache`, joining the transaction already in scope if any. */
export async function runTransaction<T>(
  cache: CacheCore,
  fn: (tx: Transaction) => T | Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const outer = transactionIn(cache.scope());
  if (outer !== undefined) return fn(outer);
  const tx = new CacheTransaction(cache, options);
  const run = async (): Promise<T> => {
    let result: T;
    try {
      result = await cache.withScope({ tx }, () => fn(tx));
    } catch (error) {
      await tx.end(false);
      throw error;
    }
    await tx.end(true);
    return result;
  };
  if (tx.mode !== "serializable") return run();
  const token = crypto.randomUUID();
  await acquire(
    cache,
    SERIALIZABLE_LOCK,
    token,
    options.timeout === undefined ? 10_000 : toMilliseconds(options.timeout, "timeout"),
  );
  try {
    return await run();
  } finally {
    await cache.withScope({ tx: undefined, brief: true }, () => release(cache, SERIALIZABLE_LOCK, token));
  }
}
