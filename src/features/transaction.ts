import { globToRegExp } from "../backends/_shared/glob";
import type { CacheCore } from "../core/cache";
import { type Duration, toMilliseconds } from "../core/durations";
import { CacheValueError, errorMessage, LockedError, TransactionError } from "../core/errors";
import { assertPattern, INTERNAL_PREFIX } from "../core/keys";
import { sleep } from "../core/locks";
import { MISS } from "../core/records";
import { isDisabled, type Scope, type TxHooks } from "../core/scope";
import { decode, encode } from "../serialization/codec";
import { storedTags } from "./tags";

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

type Write =
  | {
      kind: "set";
      text: string;
      ttl: number | undefined;
      tags: readonly string[] | undefined;
      /** An `incr` of a stored counter: it commits with the TTL and tags the stored record has then. */
      keep: boolean;
    }
  | { kind: "delete" };

const LOCK_TTL_MS = 60_000;
const STEP_MS = 10;

/** Buffers writes in memory, serves reads from them first, and applies them on commit. */
export class CacheTransaction implements TxHooks, Transaction {
  readonly mode: "fast" | "locked" | "serializable";
  readonly #cache: CacheCore;
  readonly #writes = new Map<string, Write>();
  readonly #locks = new Map<string, string>();
  readonly #timeoutMs: number;
  #rolledBack = false;
  #ended = false;

  constructor(cache: CacheCore, options: TransactionOptions) {
    this.#cache = cache;
    this.mode = options.mode ?? "fast";
    if (!["fast", "locked", "serializable"].includes(this.mode)) {
      throw new TransactionError(
        errorMessage("transaction", `unknown mode "${this.mode}"`, 'use "fast", "locked" or "serializable"'),
      );
    }
    this.#timeoutMs = options.timeout === undefined ? 10_000 : toMilliseconds(options.timeout, "timeout");
  }

  rollback(): void {
    this.#rolledBack = true;
  }

  get rolledBack(): boolean {
    return this.#rolledBack;
  }

  async get(key: string): Promise<unknown> {
    this.#check();
    const write = this.#writes.get(key);
    if (write !== undefined) return write.kind === "delete" ? MISS : decode(write.text);
    return this.#cache.read(key);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.get(key)) !== MISS;
  }

  async set(
    key: string,
    value: unknown,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    exist: boolean | undefined,
  ): Promise<boolean> {
    await this.#lock(key);
    if (exist !== undefined && (await this.exists(key)) !== exist) return false;
    this.#writes.set(key, { kind: "set", text: encode(value), ttl, tags, keep: false });
    return true;
  }

  /**
   * A new TTL for `key` as this transaction sees it, staged like a write: the key's value (its
   * staged one, else the stored one) is set again at commit with `ttl` and the tags it has, and a
   * rollback leaves the stored TTL as it was. `0` ends the key, as outside.
   */
  async expire(key: string, ttl: number): Promise<boolean> {
    await this.#lock(key);
    const current = await this.get(key);
    if (current === MISS) return false;
    if (ttl <= 0) {
      this.#writes.set(key, { kind: "delete" });
      return true;
    }
    const staged = this.#writes.get(key);
    const own = staged?.kind === "set" && !staged.keep ? staged : undefined;
    const tags = own !== undefined ? own.tags : await this.#outside(() => storedTags(this.#cache, key));
    this.#writes.set(key, { kind: "set", text: own?.text ?? encode(current), ttl, tags, keep: false });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    await this.#lock(key);
    const existed = await this.exists(key);
    this.#writes.set(key, { kind: "delete" });
    return existed;
  }

  async incr(key: string, by: number, ttl: number | undefined): Promise<number> {
    await this.#lock(key);
    const current = await this.get(key);
    if (current === MISS) {
      this.#writes.set(key, { kind: "set", text: encode(by), ttl, tags: undefined, keep: false });
      return by;
    }
    if (typeof current !== "number") {
      // The error `incr` throws outside a transaction; the value stays as it is.
      throw new CacheValueError(
        errorMessage(
          this.#cache.backendFor(key).name,
          `incr("${key}") found a ${typeof current}, not a number`,
          "delete the key or use another one for the counter",
        ),
      );
    }
    const previous = this.#writes.get(key);
    const staged = previous?.kind === "set" ? previous : undefined;
    this.#writes.set(key, {
      kind: "set",
      text: encode(current + by),
      ttl: staged?.ttl,
      tags: staged?.tags,
      keep: staged === undefined || staged.keep,
    });
    return current + by;
  }

  async deleteMatch(pattern: string): Promise<number> {
    const keys: string[] = [];
    for await (const key of this.scan(pattern)) keys.push(key);
    for (const key of keys) {
      await this.#lock(key);
      this.#writes.set(key, { kind: "delete" });
    }
    return keys.length;
  }

  /** `scan` as this transaction sees it: the stored keys it has not written, then those it set. */
  scan(pattern: string): AsyncGenerator<string> {
    return this.#merge(
      "scan",
      pattern,
      (cache) => cache.scan(pattern),
      (key) => key,
      (key) => key,
    );
  }

  /** `getMatch` as this transaction sees it (see `scan`). */
  getMatch(pattern: string): AsyncGenerator<[string, unknown]> {
    return this.#merge(
      "getMatch",
      pattern,
      (cache) => cache.getMatch(pattern),
      (entry) => entry[0],
      (key, text) => [key, decode(text)],
    );
  }

  async *#merge<E>(
    command: string,
    pattern: string,
    stored: (cache: CacheCore) => AsyncIterable<E>,
    keyOf: (entry: E) => string,
    own: (key: string, text: string) => E,
  ): AsyncGenerator<E> {
    assertPattern(pattern);
    const cache = this.#cache;
    if (isDisabled(cache.scope(), command)) return;
    this.#check();
    const matcher = globToRegExp(pattern);
    const hideInternal = !pattern.startsWith(INTERNAL_PREFIX);
    const written = [...this.#writes.keys()].filter(
      (key) => matcher.test(key) && !(hideInternal && key.startsWith(INTERNAL_PREFIX)),
    );
    for await (const entry of cache.withScope({ tx: undefined }, () => stored(cache))) {
      if (!this.#writes.has(keyOf(entry))) yield entry;
    }
    for (const key of written) {
      const write = this.#writes.get(key);
      if (write?.kind === "set") yield own(key, write.text);
    }
  }

  /** `getExpire` as this transaction sees it: a TTL it set counts from the commit, so it is whole until then. */
  async getExpire(key: string): Promise<number> {
    this.#check();
    const write = this.#writes.get(key);
    if (write?.kind === "delete") return -2;
    if (write !== undefined && !write.keep) return write.ttl ?? -1;
    const left = await this.#outside(() => this.#cache.getExpire(key));
    // A counter whose stored record went meanwhile commits without a TTL.
    return write !== undefined && left === -2 ? -1 : left;
  }

  /** `getKeysCount` as this transaction sees it: `stored` (the count outside) with its own sets and deletes. */
  async keysCount(stored: () => Promise<number>): Promise<number> {
    this.#check();
    const writes = [...this.#writes];
    const [count, found] = await Promise.all([
      this.#outside(stored),
      Promise.all(writes.map(([key]) => this.#cache.read(key))),
    ]);
    let total = count;
    for (let at = 0; at < writes.length; at++) {
      const kind = writes[at]?.[1].kind;
      const present = found[at] !== MISS;
      if (kind === "set" && !present) total++;
      else if (kind === "delete" && present) total--;
    }
    return total;
  }

  /** The tags `key` has in this transaction: a staged set's; `null` when staged as deleted; `undefined` when the stored record's count. */
  tagsOf(key: string): readonly string[] | null | undefined {
    const write = this.#writes.get(key);
    if (write === undefined) return undefined;
    if (write.kind === "delete") return null;
    return write.keep ? undefined : (write.tags ?? []);
  }

  /** The keys this transaction set with `tag`. */
  keysTagged(tag: string): string[] {
    const keys: string[] = [];
    for (const [key, write] of this.#writes) {
      if (write.kind === "set" && write.tags?.includes(tag) === true) keys.push(key);
    }
    return keys;
  }

  /** Runs `fn` as a command outside this transaction, reporting nothing to the callbacks in scope (its caller does). */
  #outside<T>(fn: () => T): T {
    return this.#cache.withScope({ tx: undefined, callbacks: undefined }, fn);
  }

  /** Applies the buffered writes (unless rolled back) and releases every lock. */
  async end(commit: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      if (commit && !this.#rolledBack) await this.#commit();
    } finally {
      await Promise.all([...this.#locks].map(([key, token]) => this.#cache.unlock(lockKey(key), token)));
      this.#locks.clear();
    }
  }

  async #commit(): Promise<void> {
    const cache = this.#cache;
    await cache.withScope({ tx: undefined }, () =>
      Promise.all(
        [...this.#writes].map(async ([key, write]) => {
          if (write.kind === "delete") return cache.delete(key);
          let { ttl, tags } = write;
          if (write.keep) {
            const [left, stored] = await Promise.all([cache.getExpire(key), storedTags(cache, key)]);
            ttl = left > 0 ? left : undefined;
            tags = stored;
          }
          return cache.set(key, decode(write.text), { ttl, tags });
        }),
      ),
    );
  }

  async #lock(key: string): Promise<void> {
    this.#check();
    if (this.mode !== "locked" || this.#locks.has(key)) return;
    const token = crypto.randomUUID();
    await acquire(this.#cache, lockKey(key), token, this.#timeoutMs);
    this.#locks.set(key, token);
  }

  #check(): void {
    if (this.#ended) {
      throw new TransactionError(
        errorMessage(
          "transaction",
          "the transaction has already ended",
          "keep cache calls inside the transaction function and await them",
        ),
      );
    }
  }
}

function lockKey(key: string): string {
  return `${INTERNAL_PREFIX}txlock:${key}`;
}

/** Takes a lock, polling until `timeoutMs`; throws `LockedError` after that. */
export async function acquire(
  cache: CacheCore,
  key: string,
  token: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await cache.withScope({ tx: undefined }, () =>
      cache.setLock(key, token, Math.max(LOCK_TTL_MS, timeoutMs)),
    ))
  ) {
    if (Date.now() >= deadline) {
      throw new LockedError(
        errorMessage(
          "transaction",
          `could not lock "${key}" within ${timeoutMs} ms`,
          "retry, or raise the transaction `timeout`",
        ),
      );
    }
    await sleep(STEP_MS);
  }
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
  const key = `${INTERNAL_PREFIX}txlock:*serializable*`;
  await acquire(
    cache,
    key,
    token,
    options.timeout === undefined ? 10_000 : toMilliseconds(options.timeout, "timeout"),
  );
  try {
    return await run();
  } finally {
    await cache.withScope({ tx: undefined }, () => cache.unlock(key, token));
  }
}
