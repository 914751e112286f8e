import { globToRegExp } from "../backends/_shared/glob";
import type { CacheCore } from "../core/cache";
import { type Duration, toMilliseconds } from "../core/durations";
import { errorMessage, LockedError, TransactionError } from "../core/errors";
import { sleep } from "../core/locks";
import { MISS } from "../core/records";
import type { TxHooks } from "../core/scope";
import { decode, encode } from "../serialization/codec";
import { INTERNAL_PREFIX } from "./tags";

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
      keepTtl: boolean;
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
    this.#writes.set(key, { kind: "set", text: encode(value), ttl, tags, keepTtl: false });
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
      this.#writes.set(key, { kind: "set", text: encode(by), ttl, tags: undefined, keepTtl: false });
      return by;
    }
    if (typeof current !== "number") {
      throw new TransactionError(
        errorMessage(
          "transaction",
          `incr("${key}") found a ${typeof current}, not a number`,
          "use another key for the counter",
        ),
      );
    }
    const previous = this.#writes.get(key);
    const keep = previous?.kind === "set" ? previous : undefined;
    this.#writes.set(key, {
      kind: "set",
      text: encode(current + by),
      ttl: keep?.ttl,
      tags: keep?.tags,
      keepTtl: keep === undefined || keep.keepTtl,
    });
    return current + by;
  }

  async deleteMatch(pattern: string): Promise<number> {
    const matcher = globToRegExp(pattern);
    const keys = new Set<string>();
    for await (const key of this.#cache.scan(pattern)) keys.add(key);
    for (const [key, write] of this.#writes) {
      if (matcher.test(key)) {
        if (write.kind === "set") keys.add(key);
        else keys.delete(key);
      }
    }
    for (const key of keys) {
      await this.#lock(key);
      this.#writes.set(key, { kind: "delete" });
    }
    return keys.size;
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
          let ttl = write.ttl;
          if (write.keepTtl) {
            const left = await cache.getExpire(key);
            ttl = left > 0 ? left : undefined;
          }
          return cache.set(key, decode(write.text), { ttl, tags: write.tags });
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

/** Runs `fn` inside a transaction on `cache`, joining the transaction already in scope if any. */
export async function runTransaction<T>(
  cache: CacheCore,
  fn: (tx: Transaction) => T | Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const outer = cache.scope().tx;
  if (outer instanceof CacheTransaction) return fn(outer);
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
