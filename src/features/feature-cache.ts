import { assertFunction, assertKnownOptions, assertOptions } from "../core/arguments";
import { NOT_NATIVE } from "../core/atomic";
import { CacheCore, type GetOrSetOptions, type SetOptions } from "../core/cache";
import { type Duration, toMilliseconds } from "../core/durations";
import { CacheArgumentError, errorMessage } from "../core/errors";
import { assertKey, describeKey } from "../core/keys";
import { Command, type CommandCallback, type DetectedCall, type WaitUntil } from "../core/scope";
import { closestName } from "../core/suggest";
import { INDEX_APART, indexTags, storedTags, tagsError, tagsOptionError, writeIndexed } from "./tags";
import { deleteTagged } from "./tags-delete";
import { runTransaction, type Transaction, type TransactionOptions, transactionIn } from "./transaction";

const ALL_COMMANDS: readonly string[] = Object.values(Command);

/** What `detect` returns. */
export interface Detected<T> {
  result: T;
  /** For each key that was served from cache inside the scope, what served it. */
  calls: Record<string, DetectedCall[]>;
}

/** The cache with its request-scoped features: disabling, detect, transactions, tags, callbacks. */
export class FeatureCache extends CacheCore {
  /** Stores `value`; `true` when stored (see `exist`). `tags` that are not an array of strings reject with `CacheArgumentError`. */
  override set(key: string, value: unknown, options: SetOptions = {}): Promise<boolean> {
    const refused = tagsOptionError(options?.tags, "set");
    return refused === undefined ? super.set(key, value, options) : Promise.reject(refused);
  }

  /** The cached value, or `factory`'s result stored with `ttl` and `tags` (an array of strings, else `CacheArgumentError`). */
  override getOrSet<T>(
    key: string,
    factory: () => T | Promise<T>,
    options: GetOrSetOptions = {},
  ): Promise<T> {
    const refused = tagsOptionError(options?.tags, "getOrSet");
    return refused === undefined ? super.getOrSet(key, factory, options) : Promise.reject(refused);
  }

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

  /**
   * Gives an existing key a new TTL, and the indexes of its tags at least as long, so the key
   * never outlives the index `deleteTags` finds it by.
   */
  override async expire(key: string, ttl: Duration): Promise<boolean> {
    assertKey(key);
    const ms = toMilliseconds(ttl, "ttl");
    // Both in this frame, so they take their places among the key's commands as called.
    const extended = super.expire(key, ms);
    // Inside a transaction the new TTL is staged, and the commit's set indexes the tags.
    if (ms <= 0 || !this.isEnabled(Command.EXPIRE) || transactionIn(this.scope()) !== undefined)
      return extended;
    const [done, tags] = await Promise.all([extended, storedTags(this, key)]);
    if (done && tags !== undefined && tags.length > 0) await indexTags(this, key, tags, ms);
    return done;
  }

  /** Milliseconds left for `key`; `-1` without expiry, `-2` when missing. Inside a transaction, as it sees the key. */
  override getExpire(key: string): Promise<number> {
    const tx = transactionIn(this.scope());
    if (tx === undefined) return super.getExpire(key);
    try {
      assertKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.guard("getExpire", key, -2, () => tx.getExpire(key));
  }

  /** Number of keys over all backends; inside a transaction, with its own writes counted. */
  override getKeysCount(): Promise<number> {
    const tx = transactionIn(this.scope());
    if (tx === undefined) return super.getKeysCount();
    return this.guard("getKeysCount", undefined, 0, () => tx.keysCount(() => super.getKeysCount()));
  }

  /** Keys matching a Redis glob; inside a transaction, with its own writes and deletes applied. */
  override scan(pattern: string): AsyncGenerator<string> {
    const tx = transactionIn(this.scope());
    return tx === undefined ? super.scan(pattern) : tx.scan(pattern);
  }

  /** `[key, value]` pairs whose key matches a Redis glob; inside a transaction, as it sees them. */
  override getMatch<T = unknown>(pattern: string): AsyncGenerator<[string, T]> {
    const tx = transactionIn(this.scope());
    return tx === undefined
      ? super.getMatch<T>(pattern)
      : (tx.getMatch(pattern) as AsyncGenerator<[string, T]>);
  }

  /** Deletes every key carrying any of `tags`, on every backend, without scanning; returns how many. */
  async deleteTags(...tags: string[]): Promise<number> {
    const refused = tagsError(
      tags,
      "deleteTags() takes each tag as a string",
      'pass for example deleteTags("items", "page:1")',
    );
    if (refused !== undefined) throw refused;
    const tx = transactionIn(this.scope());
    return this.guard("deleteTags", tags[0], 0, () => deleteTagged(this, tags, tx));
  }

  /** Disables `commands` (all when none given) in the current async context, or cache-wide outside any. */
  disable(...commands: string[]): void {
    checkCommands(commands, "disable");
    const scope = this.scope();
    const disabled = scope.disabled ?? new Set<string>();
    if (commands.length === 0) disabled.add("*");
    for (const command of commands) disabled.add(command);
    scope.disabled = disabled;
  }

  /** Enables `commands` again (all when none given) in the current async context. */
  enable(...commands: string[]): void {
    checkCommands(commands, "enable");
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
    assertFunction(fn, "disabling(fn, ...commands)", "pass the code to run, such as () => loadPage()");
    checkCommands(commands, "disabling");
    const parent = this.scope().disabled;
    const disabled = new Set(parent);
    if (commands.length === 0) disabled.add("*");
    for (const command of commands) disabled.add(command);
    return this.withScope({ disabled }, fn);
  }

  /** Runs `fn` so that cached reads inside it miss and store a fresh value. */
  invalidateFurther<T>(fn: () => T): T {
    assertFunction(fn, "invalidateFurther(fn)", "pass the code to run, such as () => loadPage()");
    return this.withScope({ invalidate: true }, fn);
  }

  /** Runs `fn` and reports which keys were served from cache inside it, and by what. */
  async detect<T>(fn: () => T | Promise<T>): Promise<Detected<Awaited<T>>> {
    assertFunction(fn, "detect(fn)", "pass the code to run, such as () => loadPage()");
    const calls: Record<string, DetectedCall[]> = {};
    const outer = this.scope().detect;
    try {
      const result = await this.withScope({ detect: calls }, fn);
      return { result, calls };
    } finally {
      // A detect inside another: its hits were inside the outer one's `fn` too.
      if (outer !== undefined)
        for (const [key, seen] of Object.entries(calls)) outer[key] = [...(outer[key] ?? []), ...seen];
    }
  }

  /** Runs `fn` with a `waitUntil` (Workers' `ctx.waitUntil`) that background refreshes are handed to. */
  withRequest<T>(request: { waitUntil?: WaitUntil }, fn: () => T): T {
    assertOptions(request, "withRequest(request, fn)", "pass the platform's context, such as Workers' ctx");
    if (request.waitUntil !== undefined && typeof request.waitUntil !== "function")
      throw new CacheArgumentError(
        errorMessage(
          undefined,
          "withRequest(request, fn) needs `request.waitUntil` to be a function",
          "pass the platform's context, such as Workers' ctx, or an object without waitUntil",
        ),
      );
    assertFunction(fn, "withRequest(request, fn)", "pass the code to run, such as () => handle(request)");
    const waitUntil = request.waitUntil === undefined ? undefined : request.waitUntil.bind(request);
    return this.withScope({ waitUntil }, fn);
  }

  /** Makes `values` readable by key templates (`{name}` after `registerKeyContext("name")`) inside `fn`. */
  keyContext<T>(values: Record<string, unknown>, fn: () => T): T {
    assertOptions(values, "keyContext(values, fn)", "pass the values by name, such as { tenant: id }");
    assertFunction(fn, "keyContext(values, fn)", "pass the code to run, such as () => loadPage()");
    return this.withScope({ keyContext: { ...this.scope().keyContext, ...values } }, fn);
  }

  /** Calls `fn(key, result)` after each `command` (every command when omitted) run inside `scope`. */
  callback<T>(
    fn: (key: string | undefined, result: unknown) => void,
    options: { command?: string },
    scope: () => T,
  ): T {
    assertFunction(
      fn,
      "callback(fn, options, scope)",
      "pass the function to call, such as (key, result) => log(key)",
    );
    if (options !== undefined)
      assertKnownOptions(
        options,
        "callback(fn, options, scope)",
        ["command"],
        'pass for example { command: "get" }',
      );
    assertFunction(scope, "callback(fn, options, scope)", "pass the code to run, such as () => loadPage()");
    if (options?.command !== undefined) checkCommands([options.command], "callback");
    const entry: CommandCallback = { command: options?.command, fn };
    return this.withScope({ callbacks: [...(this.scope().callbacks ?? []), entry] }, scope);
  }

  /** Runs `fn` as a transaction: its writes are seen only inside it until it resolves, and dropped if it throws. */
  transaction<T>(fn: (tx: Transaction) => T | Promise<T>, options?: TransactionOptions): Promise<T> {
    return runTransaction(this, fn, options);
  }

  /** Hands `work` to the `waitUntil` in scope so the platform keeps it alive; failures are reported, never unhandled. */
  background(work: Promise<unknown>, what: string): void {
    const guarded = work.catch((error: unknown) => warnBackground(what, error));
    try {
      this.scope().waitUntil?.(guarded);
    } catch (error) {
      // A `waitUntil` that refuses (called once the response is out) leaves the work running
      // unguarded by the platform; the caller, who already has its value, must not fail for it.
      console.warn(
        errorMessage(
          undefined,
          `background ${what} could not be handed to waitUntil (${error instanceof Error ? error.message : String(error)})`,
          "it runs on, but the platform may stop it: start cached calls while the request is open",
        ),
      );
    }
  }
}

/** Warns that background `what` failed with `error`: nobody awaits it to be told. */
function warnBackground(what: string, error: unknown): void {
  console.warn(
    errorMessage(
      undefined,
      `background ${what} failed (${error instanceof Error ? error.message : String(error)})`,
      "the cached value stays; the next refresh will try again",
    ),
  );
}

/**
 * Throws `CacheArgumentError` for a name that is no command (`disable("gett")` would otherwise
 * disable nothing, and a callback for it would never be called).
 */
function checkCommands(commands: readonly unknown[], method: string): void {
  for (const command of commands) {
    if (typeof command === "string" && ALL_COMMANDS.includes(command)) continue;
    const near = typeof command === "string" ? closestName(command, ALL_COMMANDS) : undefined;
    throw new CacheArgumentError(
      errorMessage(
        undefined,
        `${method}() got ${typeof command === "string" ? JSON.stringify(command) : describeKey(command)}, which is not a command`,
        `${near === undefined ? "pass" : `did you mean "${near}"? pass`} one of ${ALL_COMMANDS.join(", ")} (or Command.GET, …)`,
      ),
    );
  }
}
