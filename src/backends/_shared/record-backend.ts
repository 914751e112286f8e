// The Backend commands of storage that keeps one text record per encoded key name (the fs
// backend, unstorage). Subclasses supply five storage primitives and their error mapping; this
// class supplies records with the backend's own expiry (./stored-record), what a stored name
// holds (./record-slots), per-key serialisation in-process (./key-queue) and Redis glob scans (./glob).
import type { Clock } from "../../core/clock";
import { CacheArgumentError, CacheValueError, errorMessage } from "../../core/errors";
import type { Backend, BackendCapabilities, BackendSetOptions } from "../../core/types";
import { parseGlob } from "./glob";
import { decodeKey, isHashedName } from "./key-names";
import { KeyQueue } from "./key-queue";
import {
  countWhere,
  ForeignRecord,
  type Holder,
  holderOf,
  isRecordName,
  liveRecord,
  type Slot,
  slotOf,
} from "./record-slots";
import { addToInteger, expiresAtOf, formatRecord, parseRecord, type StoredRecord } from "./stored-record";

/**
 * Base of backends that store `formatRecord` text under `keyName(key)`. Expired records read as
 * missing and are replaced or removed by the next write of their key; `count` includes them
 * until then, except with `shared` (see `count`). Writes of one key never interleave within a
 * process; across processes they are as safe as the subclass's `exclusive`.
 */
export abstract class RecordBackend implements Backend {
  abstract readonly name: string;
  abstract readonly capabilities: BackendCapabilities;
  readonly #clock: Clock;
  readonly #queue = new KeyQueue();
  readonly #queueReads: boolean;
  readonly #shared: boolean;

  /**
   * With `queueReads`, a read of a key waits for the writes of that key queued before it in this
   * process, and writes queued after it wait for the read: for storages whose writes a reader can
   * see half done (unstorage's fs driver truncates a file before writing it). With `shared`, the
   * storage may hold other programs' entries under names this backend could have written (a
   * directory the user also keeps files in): no write replaces a text that is not one of this
   * backend's (`holderOf`), throwing `ForeignRecord` instead, `clear` removes only this backend's
   * texts, and `count` counts only live records, at the cost of reading the head of each.
   */
  protected constructor(
    clock: Clock,
    { queueReads = false, shared = false }: { queueReads?: boolean; shared?: boolean } = {},
  ) {
    this.#clock = clock;
    this.#queueReads = queueReads;
    this.#shared = shared;
  }

  /** The stored text under `name`, or `undefined`; with `head`, at least the first line. */
  protected abstract readText(name: string, head: boolean): Promise<string | undefined>;
  /**
   * Stores `text` under `name`, replacing what was there. With `ownOnly` (only with `shared`, when
   * the write has not read the name), first checks, under `exclusive` and together with the
   * replacement where the storage can, that the name holds nothing or a text `isRecordText` takes
   * as the backend's, and else throws `ForeignRecord`, changing nothing.
   */
  protected abstract writeText(name: string, text: string, ownOnly: boolean): Promise<void>;
  /** Removes `name`; `true` when it was there. */
  protected abstract removeText(name: string): Promise<boolean>;
  /** Every storage name that may be a record (decoding filters the rest). */
  protected abstract listNames(): Promise<string[]>;
  /** Runs a read-modify-write of `name`; subclasses that can lock across processes do it here. */
  protected abstract exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Turns a storage failure of `action` into the error the caller sees. */
  protected abstract failure(error: unknown, action: string): Error;
  /** Checks the storage answers; resolves to `message` or `"PONG"`. */
  abstract ping(message?: string): Promise<string>;

  async get(key: string): Promise<string | undefined> {
    const slot = await slotOf(key);
    return (await this.#io("get", () => this.#readAlone(slot, false)))?.value;
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const expiresAt = expiresAtOf(options?.ttl, this.#clock.now(), this.name);
    const exist = options?.exist;
    return this.#mutate(
      "set",
      key,
      async (slot, current, holder) => {
        if (exist !== undefined && (current !== undefined) !== exist) return false;
        await this.#write(slot, value, expiresAt, holder);
        return true;
      },
      // Whether a record is there is in its header; the old value is not needed.
      exist === undefined ? "none" : "head",
    );
  }

  delete(key: string): Promise<boolean> {
    return this.#mutate(
      "delete",
      key,
      async (slot, current, holder) => {
        if (holder === "own") await this.removeText(slot.name);
        return current !== undefined;
      },
      "head",
    );
  }

  async exists(key: string): Promise<boolean> {
    const slot = await slotOf(key);
    return (await this.#io("exists", () => this.#readAlone(slot, true))) !== undefined;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const { literal, prefix, regexp } = parseGlob(pattern);
    if (literal) {
      if (await this.exists(prefix)) yield prefix;
      return;
    }
    for (const name of await this.#io("scan", () => this.listNames())) {
      const key = await this.#io("scan", () => this.#liveKey(name, prefix, regexp));
      if (key !== undefined) yield key;
    }
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      const problem = `incr by ${String(by)} failed`;
      throw new CacheArgumentError(errorMessage(this.name, problem, "pass a safe integer such as 1 or -1"));
    }
    const expiresAt = expiresAtOf(ttl, this.#clock.now(), this.name);
    return this.#mutate("incr", key, async (slot, current, holder) => {
      if (current === undefined) {
        await this.#write(slot, String(by), expiresAt, holder);
        return by;
      }
      const next = addToInteger(current.value, by);
      if (next === undefined) {
        const problem = `incr of "${key}" failed because its value is not a decimal integer or the sum leaves the safe range`;
        throw new CacheValueError(
          errorMessage(
            this.name,
            problem,
            "keep counters apart from other values (the value was left unchanged)",
          ),
        );
      }
      await this.#write(slot, String(next), current.expiresAt, "own");
      return next;
    });
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const expiresAt = expiresAtOf(ttl, this.#clock.now(), this.name);
    return this.#mutate("expire", key, async (slot, current) => {
      if (current === undefined) return false;
      await this.#write(slot, current.value, expiresAt, "own");
      return true;
    });
  }

  async getExpire(key: string): Promise<number> {
    const slot = await slotOf(key);
    const record = await this.#io("getExpire", () => this.#readAlone(slot, true));
    if (record === undefined) return -2;
    if (record.expiresAt === Number.POSITIVE_INFINITY) return -1;
    return Math.ceil(record.expiresAt - this.#clock.now());
  }

  setLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.set(key, token, { ttl, exist: false });
  }

  unlock(key: string, token: string): Promise<boolean> {
    return this.#mutate("unlock", key, async (slot, current) => {
      if (current?.value !== token) return false;
      return this.removeText(slot.name);
    });
  }

  /** Removes every record of this backend (with `shared`, only names that hold a record or nothing). */
  async clear(): Promise<void> {
    await this.#io("clear", async () => {
      for (const name of await this.listNames()) {
        if (isRecordName(name) && (await this.#removable(name))) await this.removeText(name);
      }
    });
  }

  /**
   * Records held. With `shared`, only the live records of this backend, told apart by the head
   * of each name as `scan` does (a user's file named like a key file is none); otherwise every
   * name a key can have, expired records included until a write of their key removes them.
   */
  async count(): Promise<number> {
    return this.#io("count", async () => {
      const names = (await this.listNames()).filter(isRecordName);
      if (!this.#shared) return names.length;
      return countWhere(names, (name) => this.#isLiveRecord(name));
    });
  }

  /** True when `name` holds the backend's own text (`holderOf`), read only with `shared`. */
  async #removable(name: string): Promise<boolean> {
    return !this.#shared || holderOf(await this.readText(name, true), true) === "own";
  }

  async #isLiveRecord(name: string): Promise<boolean> {
    const record = parseRecord((await this.readText(name, true)) ?? "");
    return record !== undefined && record.expiresAt > this.#clock.now();
  }

  /** `#read` for a command that only reads (queued behind the key's writes with `queueReads`). */
  #readAlone(slot: Slot, head: boolean): Promise<StoredRecord | undefined> {
    return this.#queueReads
      ? this.#queue.run(slot.name, () => this.#read(slot, head))
      : this.#read(slot, head);
  }

  /** The live record of a slot; with `head` its value may be cut short. */
  async #read(slot: Slot, head: boolean): Promise<StoredRecord | undefined> {
    return liveRecord(slot, await this.readText(slot.name, head), this.#clock.now());
  }

  /**
   * Stores a record, or removes the slot's own text when it expires at once; `holder` as `#mutate`
   * gives it. Never replaces someone else's text: a write that would throws `ForeignRecord`.
   */
  async #write(slot: Slot, value: string, expiresAt: number, holder: Holder | undefined): Promise<void> {
    if (expiresAt > this.#clock.now()) {
      if (holder === "foreign") throw new ForeignRecord(slot.name);
      const text = formatRecord(value, expiresAt, slot.encoded);
      await this.writeText(slot.name, text, holder === undefined && this.#shared);
    } else if (holder === undefined ? await this.#removable(slot.name) : holder === "own") {
      await this.removeText(slot.name);
    }
  }

  /**
   * Runs `fn` on the key's live record, one caller per key in this process, under `exclusive`
   * across processes; `holder` tells what the slot holds (`holderOf`). `read` says how much of the
   * slot `fn` needs: the whole record, its header (`current.value` may be cut short), or nothing
   * (`current` and `holder` are `undefined`).
   */
  async #mutate<T>(
    action: string,
    key: string,
    fn: (slot: Slot, current: StoredRecord | undefined, holder: Holder | undefined) => Promise<T>,
    read: "whole" | "head" | "none" = "whole",
  ): Promise<T> {
    const slot = await slotOf(key);
    return this.#queue.run(slot.name, () =>
      this.#io(action, () =>
        this.exclusive(slot.name, async () => {
          if (read === "none") return fn(slot, undefined, undefined);
          const text = await this.readText(slot.name, read === "head");
          return fn(slot, liveRecord(slot, text, this.#clock.now()), holderOf(text, this.#shared));
        }),
      ),
    );
  }

  async #liveKey(name: string, prefix: string, regexp: RegExp): Promise<string | undefined> {
    let key = decodeKey(name);
    if (key === undefined) {
      if (!isHashedName(name)) return undefined;
      const encoded = parseRecord((await this.readText(name, true)) ?? "")?.key;
      key = encoded === undefined ? undefined : decodeKey(encoded);
      if (key === undefined) return undefined;
    }
    if (!key.startsWith(prefix) || !regexp.test(key)) return undefined;
    return (await this.#readAlone(await slotOf(key), true)) === undefined ? undefined : key;
  }

  #io<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return fn().catch((error: unknown) => {
      throw this.failure(error, action);
    });
  }
}
