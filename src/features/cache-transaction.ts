// The transaction handle: buffers writes, serves reads from them first, takes the locks of the
// `locked` mode, and applies the writes when the transaction function ends.
import type { CacheCore } from "../core/cache";
import { assertCounter, safeSum } from "../core/counters";
import { toMilliseconds } from "../core/durations";
import { errorMessage, TransactionError } from "../core/errors";
import { MISS } from "../core/records";
import type { LoadTicket } from "../core/route";
import type { TxHooks } from "../core/scope";
import { storedTags } from "./tags";
import type { Transaction, TransactionOptions } from "./transaction";
import { TransactionFlights } from "./transaction-flights";
import { acquire, lockKey, release } from "./transaction-locks";
import { countStaged, getMatchStaged, type Staged, scanStaged } from "./transaction-views";
import { commitWrites, decodeFor, encodeFor, inTurn, outside, type Write } from "./transaction-writes";

type Tags = readonly string[] | undefined;

/** Buffers writes in memory, serves reads from them first, and applies them on commit. */
export class CacheTransaction implements TxHooks, Transaction {
  readonly mode: "fast" | "locked" | "serializable";
  readonly #cache: CacheCore;
  readonly #writes = new Map<string, Write>();
  readonly #locks = new Map<string, string>();
  /**
   * Per key, the turn of its last staged command: a key's commands run one after another, as
   * called, so concurrent ones neither lose an update nor wait for a lock their key already took.
   */
  readonly #turns = new Map<string, Promise<void>>();
  /** The loads its callers of a key share (`getOrSet`, wrapped functions), apart from those outside. */
  readonly #flights: TransactionFlights;
  readonly #timeoutMs: number;
  /** The writes and the end check, for the views over many keys (`transaction-views`). */
  readonly #staged: Staged;
  #rolledBack = false;
  #ended = false;

  constructor(cache: CacheCore, options: TransactionOptions) {
    this.#cache = cache;
    this.#staged = { cache, writes: this.#writes, check: () => this.#check() };
    this.#flights = new TransactionFlights(cache);
    // Checked by `runTransaction` before anything runs.
    this.mode = options.mode ?? "fast";
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
    const turn = this.#turns.get(key);
    if (turn !== undefined) await turn;
    return this.#read(key);
  }

  /** `key` as this transaction sees it now, past the key's turns (for a command holding one). */
  async #read(key: string): Promise<unknown> {
    const write = this.#writes.get(key);
    if (write !== undefined) return write.kind === "delete" ? MISS : decodeFor(this.#cache, key, write.text);
    return this.#cache.read(key);
  }

  /**
   * `getOrSet` as this transaction sees `key`: its own write of it, else the stored value, else one
   * `load` shared by its callers of the key meanwhile, staged unless the transaction wrote the key
   * (or a tag of `tags` was invalidated) since the load began.
   */
  async getOrSet(
    key: string,
    load: () => Promise<unknown>,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    read: (found: unknown) => void,
  ): Promise<unknown> {
    const cached = await this.get(key);
    read(cached);
    if (cached !== MISS) return cached;
    return this.#flights.run(key, async (ticket) => {
      const value = await load();
      if (!this.#cache.routeFor(key).outdated(ticket, tags)) await this.set(key, value, ttl, tags, undefined);
      return value;
    });
  }

  /** Shares one `load` per key among this transaction's callers only (see `TransactionFlights`). */
  singleFlight<T>(key: string, load: (ticket: LoadTicket) => Promise<T>): Promise<T> {
    return this.#flights.run(key, load);
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
    this.#flights.written(key);
    return this.#inTurn(key, async () => {
      await this.#lock(key);
      if (exist !== undefined && ((await this.#read(key)) !== MISS) !== exist) return false;
      this.#stageValue(key, value, ttl, tags, false);
      return true;
    });
  }

  /**
   * A new TTL for `key` as this transaction sees it, staged like a write: the key's value (its
   * staged one, else the stored one) is set again at commit with `ttl` and the tags it has, and a
   * rollback leaves the stored TTL as it was. `0` ends the key, as outside.
   */
  expire(key: string, ttl: number): Promise<boolean> {
    this.#flights.written(key);
    return this.#inTurn(key, async () => {
      await this.#lock(key);
      const current = await this.#read(key);
      if (current === MISS) return false;
      if (ttl <= 0) {
        this.#stage(key, { kind: "delete" });
        return true;
      }
      const staged = this.#writes.get(key);
      const own = staged?.kind === "set" && !staged.keep ? staged : undefined;
      const tags =
        own !== undefined ? own.tags : await outside(this.#cache, () => storedTags(this.#cache, key));
      const text = own?.text ?? encodeFor(this.#cache, key, current);
      this.#stage(key, { kind: "set", text, ttl, tags, keep: false });
      return true;
    });
  }

  delete(key: string): Promise<boolean> {
    this.#flights.written(key);
    return this.#inTurn(key, async () => {
      await this.#lock(key);
      const existed = (await this.#read(key)) !== MISS;
      this.#stage(key, { kind: "delete" });
      return existed;
    });
  }

  incr(key: string, by: number, ttl: number | undefined): Promise<number> {
    this.#flights.written(key);
    return this.#inTurn(key, async () => {
      await this.#lock(key);
      const current = await this.#read(key);
      if (current === MISS) {
        this.#stageValue(key, by, ttl, undefined, false);
        return by;
      }
      // The error `incr` throws outside a transaction; the value stays as it is.
      assertCounter(this.#cache.backendFor(key).name, key, current);
      const previous = this.#writes.get(key);
      const staged = previous?.kind === "set" ? previous : undefined;
      const next = safeSum(this.#cache.backendFor(key).name, key, current, by);
      this.#stageValue(key, next, staged?.ttl, staged?.tags, staged === undefined || staged.keep);
      return next;
    });
  }

  async deleteMatch(pattern: string): Promise<number> {
    const keys: string[] = [];
    for await (const key of this.scan(pattern)) keys.push(key);
    for (const key of keys) this.#flights.written(key);
    for (const key of keys) {
      await this.#inTurn(key, async () => {
        await this.#lock(key);
        this.#stage(key, { kind: "delete" });
      });
    }
    return keys.length;
  }

  /** `scan` as this transaction sees it: the stored keys it has not written, then those it set. */
  scan(pattern: string): AsyncGenerator<string> {
    return scanStaged(this.#staged, pattern);
  }

  /** `getMatch` as this transaction sees it (see `scan`). */
  getMatch(pattern: string): AsyncGenerator<[string, unknown]> {
    return getMatchStaged(this.#staged, pattern);
  }

  /** `getExpire` as this transaction sees it: a TTL it set counts from the commit, so it is whole until then. */
  async getExpire(key: string): Promise<number> {
    this.#check();
    const write = this.#writes.get(key);
    if (write?.kind === "delete") return -2;
    if (write !== undefined && !write.keep) return write.ttl ?? -1;
    const left = await outside(this.#cache, () => this.#cache.getExpire(key));
    // A counter whose stored record went meanwhile commits without a TTL.
    return write !== undefined && left === -2 ? -1 : left;
  }

  /** `getKeysCount` as this transaction sees it: `stored` (the count outside) with its own sets and deletes. */
  keysCount(stored: () => Promise<number>): Promise<number> {
    return countStaged(this.#staged, stored);
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

  /** Applies the buffered writes (unless rolled back) and releases every lock. */
  async end(commit: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      if (commit && !this.#rolledBack) await commitWrites(this.#cache, this.#writes);
    } finally {
      const locks = [...this.#locks];
      this.#locks.clear();
      await Promise.all(locks.map(([key, token]) => release(this.#cache, lockKey(key), token)));
    }
  }

  /** Runs `command` on `key` once the key's earlier commands in this transaction are over. */
  #inTurn<T>(key: string, command: () => Promise<T>): Promise<T> {
    return inTurn(this.#turns, key, command);
  }

  async #lock(key: string): Promise<void> {
    this.#check();
    if (this.mode !== "locked" || this.#locks.has(key)) return;
    const token = crypto.randomUUID();
    await acquire(this.#cache, lockKey(key), token, this.#timeoutMs);
    // Obtained after `end` released the others (a sibling command failed the transaction): held
    // on, it would keep every other transaction off the key until its TTL.
    if (this.#ended) await outside(this.#cache, () => release(this.#cache, lockKey(key), token));
    this.#check();
    this.#locks.set(key, token);
  }

  /**
   * Stages one write; refused once the transaction has ended, as it would never be committed.
   * The write commands tell `#flights` when they are called, not here: one that waits for the
   * key's lock or turn still outdates a load of the key running meanwhile, as outside.
   */
  #stage(key: string, write: Write): void {
    this.#check();
    this.#writes.set(key, write);
  }

  /** Stages `value` as set on `key`, in the text its backend's serializer makes of it. */
  #stageValue(key: string, value: unknown, ttl: number | undefined, tags: Tags, keep: boolean): void {
    this.#stage(key, { kind: "set", text: encodeFor(this.#cache, key, value), ttl, tags, keep });
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
