import { NOT_NATIVE } from "../core/atomic";
import { CacheCore } from "../core/cache";
import { errorMessage } from "../core/errors";
import { Command, type CommandCallback, type DetectedCall, type WaitUntil } from "../core/scope";
import { deleteTagged, INDEX_APART, indexTags, writeIndexed } from "./tags";
import { runTransaction, type Transaction, type TransactionOptions } from "./transaction";

const ALL_COMMANDS: readonly string[] = Object.values(Command);

/** What `detect` returns. */
export interface Detected<T> {
  result: T;
  /** For each key that was served from cache inside the scope, what served it. */
  calls: Record<string, DetectedCall[]>;
}

/** The cache with its request-scoped features: disabling, detect, transactions, tags, callbacks. */
export class FeatureCache extends CacheCore {
  override write(
    key: string,
    value: unknown,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    exist?: boolean,
  ): Promise<boolean> {
    // An untagged write is the core's, without a frame of its own (the strategies' stores).
    if (tags === undefined || tags.length === 0) return super.write(key, value, ttl, tags, exist);
    return this.#writeTagged(key, value, ttl, tags, exist);
  }

  /** A tagged write, handed to the backend at once so it keeps its place among the key's commands; then its index. */
  #writeTagged(
    key: string,
    value: unknown,
    ttl: number | undefined,
    tags: readonly string[],
    exist: boolean | undefined,
  ): Promise<boolean> {
    let written: Promise<boolean | typeof INDEX_APART>;
    try {
      const native = writeIndexed(this, key, value, ttl, tags, exist);
      written =
        native === NOT_NATIVE
          ? super.write(key, value, ttl, tags, exist).then((stored) => (stored ? INDEX_APART : false))
          : native;
    } catch (error) {
      return Promise.reject(error);
    }
    return written.then((stored) =>
      stored === INDEX_APART ? indexTags(this, key, tags, ttl).then(() => true) : stored,
    );
  }

  /** Deletes every key carrying any of `tags`, on every backend, without scanning; returns how many. */
  async deleteTags(...tags: string[]): Promise<number> {
    return this.guard("deleteTags", tags[0], 0, () => deleteTagged(this, tags));
  }

  /** Disables `commands` (all when none given) in the current async context, or cache-wide outside any. */
  disable(...commands: string[]): void {
    const scope = this.scope();
    const disabled = scope.disabled ?? new Set<string>();
    if (commands.length === 0) disabled.add("*");
    for (const command of commands) disabled.add(command);
    scope.disabled = disabled;
  }

  /** Enables `commands` again (all when none given) in the current async context. */
  enable(...commands: string[]): void {
    const scope = this.scope();
    const disabled = scope.disabled;
    if (disabled === undefined) return;
    if (commands.length === 0) {
      scope.disabled = undefined;
      return;
    }
    if (disabled.has("*")) {
      disabled.delete("*");
      for (const command of ALL_COMMANDS) disabled.add(command);
    }
    for (const command of commands) disabled.delete(command);
  }

  /** True when `command` (or every command, without an argument) is disabled here. */
  isEnabled(command?: string): boolean {
    const disabled = this.scope().disabled;
    if (disabled === undefined || disabled.size === 0) return true;
    return !(disabled.has("*") || (command !== undefined && disabled.has(command)));
  }

  /** Runs `fn` with `commands` (all when none given) disabled inside it only. */
  disabling<T>(fn: () => T, ...commands: string[]): T {
    const parent = this.scope().disabled;
    const disabled = new Set(parent);
    if (commands.length === 0) disabled.add("*");
    for (const command of commands) disabled.add(command);
    return this.withScope({ disabled }, fn);
  }

  /** Runs `fn` so that cached reads inside it miss and store a fresh value. */
  invalidateFurther<T>(fn: () => T): T {
    return this.withScope({ invalidate: true }, fn);
  }

  /** Runs `fn` and reports which keys were served from cache inside it, and by what. */
  async detect<T>(fn: () => T | Promise<T>): Promise<Detected<Awaited<T>>> {
    const calls: Record<string, DetectedCall[]> = {};
    const result = await this.withScope({ detect: calls }, fn);
    return { result, calls };
  }

  /** Runs `fn` with a `waitUntil` (Workers' `ctx.waitUntil`) that background refreshes are handed to. */
  withRequest<T>(request: { waitUntil?: WaitUntil }, fn: () => T): T {
    const waitUntil = request.waitUntil === undefined ? undefined : request.waitUntil.bind(request);
    return this.withScope({ waitUntil }, fn);
  }

  /** Makes `values` readable by key templates (`{name}` after `registerKeyContext("name")`) inside `fn`. */
  keyContext<T>(values: Record<string, unknown>, fn: () => T): T {
    return this.withScope({ keyContext: { ...this.scope().keyContext, ...values } }, fn);
  }

  /** Calls `fn(key, result)` after each `command` (every command when omitted) run inside `scope`. */
  callback<T>(
    fn: (key: string | undefined, result: unknown) => void,
    options: { command?: string },
    scope: () => T,
  ): T {
    const entry: CommandCallback = { command: options.command, fn };
    return this.withScope({ callbacks: [...(this.scope().callbacks ?? []), entry] }, scope);
  }

  /** Runs `fn` as a transaction: its writes are seen only inside it until it resolves, and dropped if it throws. */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    return runTransaction(this, fn, options);
  }

  /** Hands `work` to the `waitUntil` in scope so the platform keeps it alive; failures are reported, never unhandled. */
  background(work: Promise<unknown>, what: string): void {
    const guarded = work.catch((error: unknown) => {
      console.warn(
        errorMessage(
          undefined,
          `background ${what} failed (${error instanceof Error ? error.message : String(error)})`,
          "the cached value stays; the next refresh will try again",
        ),
      );
    });
    this.scope().waitUntil?.(guarded);
  }
}
