import type { CacheCore } from "../core/cache";
import { type Duration, toMilliseconds } from "../core/durations";
import { CacheArgumentError, errorMessage } from "../core/errors";
import type { Scope } from "../core/scope";
import { shownValue, unknownName } from "../core/suggest";
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

const OPTIONS: readonly string[] = ["mode", "timeout"];
const EXAMPLE = 'pass for example { mode: "locked", timeout: "5s" }, or leave them out';

/**
 * Throws `CacheArgumentError` unless `fn` is a function and `options` an object (or absent) of
 * known names and a known `mode`: a typo such as `mdoe` would otherwise run an unlocked
 * transaction, and `null` would fail as a bare `TypeError`. Checked nested too, where the outer
 * transaction's options apply.
 */
function checkArguments(fn: unknown, options: unknown): void {
  const problem =
    typeof fn !== "function"
      ? { what: `takes a function, got ${shownValue(fn)}`, toDo: "pass for example async (tx) => { … }" }
      : optionsProblem(options);
  if (problem !== undefined)
    throw new CacheArgumentError(errorMessage("transaction", problem.what, problem.toDo));
}

function optionsProblem(options: unknown): { what: string; toDo: string } | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null || Array.isArray(options))
    return { what: `options must be an object, got ${shownValue(options)}`, toDo: EXAMPLE };
  const unknown = unknownName(options, OPTIONS);
  if (unknown === undefined) return modeProblem((options as { mode?: unknown }).mode);
  const near = unknown.near === undefined ? "" : `did you mean \`${unknown.near}\`? `;
  return { what: `unknown option \`${unknown.name}\``, toDo: `${near}transaction takes mode and timeout` };
}

const MODES: readonly unknown[] = ["fast", "locked", "serializable"];

/** An unknown `mode` is a wrong argument, refused with the modes there are; absent means `fast`. */
function modeProblem(mode: unknown): { what: string; toDo: string } | undefined {
  if (mode === undefined || MODES.includes(mode)) return undefined;
  return { what: `unknown mode ${shownValue(mode)}`, toDo: 'use "fast", "locked" or "serializable"' };
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
  checkArguments(fn, options);
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
