import { forwardAtomic } from "./atomic";
import type { SlotReader } from "./route";
import type {
  Backend,
  BackendCapabilities,
  BackendSetOptions,
  TagInvalidation,
  ValueWithExpire,
} from "./types";

/**
 * Several backends read left to right: a hit in a lower tier is copied back into the tiers
 * above it with the TTL it has left (read with the value in one call where the tier offers
 * `getWithExpire`); writes and deletes go to every tier. The last tier is the authority for
 * counters, locks, scans and counts. A lower tier that reports invalidations (Redis tracking)
 * evicts the keys other processes changed from the tiers above it.
 */
export class TieredBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly tiers: readonly Backend[];
  readonly #last: Backend;
  #unsubscribe: (() => void)[] = [];
  // Guards back-fills against writes that come while the lower tier's reply is in hand but not
  // yet copied up, this process's own (a delete called while a get is in flight) and other
  // processes' invalidations: `#flushes` counts "everything changed" events, `#dirty` remembers
  // the keys written while any read is in flight, with the sequence number they were seen at.
  #flushes = 0;
  #seq = 0;
  #reading = 0;
  readonly #dirty = new Map<string, number>();
  // Writes in flight, by key (and clears): a read from below that overlaps one may have read from
  // before it, so its answer is not copied up (`#settled`).
  readonly #writing = new Map<string, number>();
  #clearing = 0;
  // The optional atomic methods go to the authority only: the keys they manage never live above it.
  slideWindow: Backend["slideWindow"];
  addMembers: Backend["addMembers"];
  removeMembers: Backend["removeMembers"];
  members: Backend["members"];
  invalidateTag: Backend["invalidateTag"];
  setIndexed: Backend["setIndexed"];
  lockUnlessStored: Backend["lockUnlessStored"];
  replace: Backend["replace"];

  constructor(tiers: readonly Backend[]) {
    const last = tiers[tiers.length - 1];
    if (last === undefined) throw new RangeError("a tiered backend needs at least one tier");
    this.tiers = tiers;
    this.#last = last;
    this.name = tiers.map((tier) => tier.name).join("+");
    const keyLimits = tiers.map((tier) => tier.capabilities.maxKeyBytes).filter((limit) => limit > 0);
    this.capabilities = {
      nativeTtl: tiers.every((tier) => tier.capabilities.nativeTtl),
      minTtlMs: Math.max(...tiers.map((tier) => tier.capabilities.minTtlMs)),
      maxKeyBytes: keyLimits.length > 0 ? Math.min(...keyLimits) : 0,
      atomic: last.capabilities.atomic,
      consistency: last.capabilities.consistency,
      ...(tiers.some((tier) => tier.capabilities.ordered === false) ? { ordered: false } : {}),
    };
    this.#forward();
  }

  /**
   * The authority's optional atomic methods, wrapped where the tiers above must follow: a tagged
   * write writes them too, a tag invalidation (run on the authority, whose members can also sit
   * above) clears them, and a value `lockUnlessStored` finds is copied up like a read's.
   */
  #forward(): void {
    const last = this.#last;
    forwardAtomic(this, last);
    if (this.tiers.length === 1) return;
    const native = this.invalidateTag;
    const indexed = this.setIndexed;
    const lockUnlessStored = last.lockUnlessStored;
    const replace = last.replace;
    if (indexed !== undefined)
      this.setIndexed = (key, value, options, indexKeys, indexTtl) =>
        this.#write(key, value, options, (options) => indexed(key, value, options, indexKeys, indexTtl));
    if (lockUnlessStored !== undefined)
      this.lockUnlessStored = (lockKey, key, token, ttl) =>
        this.#tracked(key, async (stale) => {
          const found = await lockUnlessStored.call(last, lockKey, key, token, ttl);
          if (typeof found !== "boolean" && !stale() && this.#settled(key))
            await this.#backfill(key, found, this.tiers.length - 1);
          return found;
        });
    if (replace !== undefined)
      this.replace = (key, expected, value, ttl) =>
        this.#replace(replace.bind(last), key, expected, value, ttl);
    if (native === undefined) return;
    const above = this.tiers.slice(0, -1);
    this.invalidateTag = async (indexKey: string, tag: string): Promise<TagInvalidation> => {
      const result = await native(indexKey, tag);
      // Absent members go too: a copy above may outlive the authority's record (a failed write).
      const gone = [...result.deleted, ...result.absent];
      for (const key of gone) this.#touch(key);
      if (gone.length > 0)
        await Promise.all(
          above.map((tier) =>
            tier.deleteMany !== undefined
              ? tier.deleteMany(gone)
              : Promise.all(gone.map((key) => tier.delete(key))),
          ),
        );
      return result;
    };
  }

  async init(): Promise<void> {
    // Subscribe before the lower tiers connect, so their first connection opens with tracking on.
    if (this.#unsubscribe.length === 0) this.#subscribe();
    await Promise.all(this.tiers.map((tier) => tier.init?.()));
    this.#forward(); // a lazy last tier has its methods only now
  }

  #subscribe(): void {
    for (let index = 1; index < this.tiers.length; index++) {
      const tier = this.tiers[index] as Backend;
      if (tier.capabilities.invalidations !== true || tier.onInvalidate === undefined) continue;
      const above = this.tiers.slice(0, index);
      this.#unsubscribe.push(tier.onInvalidate((key) => this.#evict(above, key)));
    }
  }

  /** Notes a write of `key` (`undefined`: of every key) for the reads in flight, so none copies an older value up over it. */
  #touch(key: string | undefined): void {
    if (key === undefined) this.#flushes++;
    else if (this.#reading > 0) this.#dirty.set(key, ++this.#seq);
  }

  /** Notes the start of this process's write of `key` over the tiers; `#end` its end (see `#settled`). */
  #begin(key: string): void {
    this.#touch(key);
    this.#writing.set(key, (this.#writing.get(key) ?? 0) + 1);
  }

  #end(key: string): void {
    const left = (this.#writing.get(key) ?? 1) - 1;
    if (left === 0) this.#writing.delete(key);
    else this.#writing.set(key, left);
    this.#touch(key);
  }

  /** True when no write of `key` (or clear) is in flight, so a value read from below may be copied up. */
  #settled(key: string): boolean {
    return this.#clearing === 0 && (this.#writing.size === 0 || !this.#writing.has(key));
  }

  #evict(above: readonly Backend[], key: string | undefined): void {
    this.#touch(key);
    for (const tier of above) {
      const done = key === undefined ? tier.clear() : tier.delete(key);
      done.catch(() => undefined); // a local tier that cannot evict is caught by the next read's TTL
    }
  }

  async close(): Promise<void> {
    for (const stop of this.#unsubscribe) stop();
    this.#unsubscribe = [];
    await Promise.all(this.tiers.map((tier) => tier.close?.()));
  }

  // The read and write paths below chain promises by hand instead of awaiting in async functions:
  // each miss through the tiers runs them once (43 promises per cold miss over Redis before, 36
  // after; bench/before-after.md, sixth round).
  get(key: string): Promise<string | undefined> {
    const top = this.tiers[0] as Backend & Partial<SlotReader>;
    // The top tier is usually memory: read its entry at once instead of through a promise.
    if (typeof top.readSlot === "function") {
      const slot = top.readSlot(key);
      if (slot !== undefined) return Promise.resolve(slot.value);
      return this.tiers.length === 1 ? Promise.resolve(undefined) : this.#below(key);
    }
    return top
      .get(key)
      .then((first) => (first !== undefined || this.tiers.length === 1 ? first : this.#below(key)));
  }

  /** `key` read from the tiers below the top one, copied up unless a write of it came meanwhile. */
  #below(key: string): Promise<string | undefined> {
    return this.#tracked(key, (stale) => this.#readFrom(1, key, stale));
  }

  #readFrom(index: number, key: string, stale: () => boolean): Promise<string | undefined> {
    return readWithExpire(this.tiers[index] as Backend, key).then((found) => {
      if (found === undefined)
        return index + 1 < this.tiers.length ? this.#readFrom(index + 1, key, stale) : undefined;
      if (stale() || !this.#settled(key)) return found.value;
      return this.#backfill(key, found, index).then(() => found.value);
    });
  }

  /** Runs a read from below; `stale()` tells whether `key` was invalidated meanwhile, so its value must not be copied up. */
  #tracked<T>(key: string, read: (stale: () => boolean) => Promise<T>): Promise<T> {
    const flushes = this.#flushes;
    const seq = this.#seq;
    this.#reading++;
    const settle = (): void => {
      if (--this.#reading === 0) this.#dirty.clear();
    };
    let pending: Promise<T>;
    try {
      pending = read(() => this.#flushes !== flushes || (this.#dirty.get(key) ?? 0) > seq);
    } catch (error) {
      settle();
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        settle();
        return value;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
  }

  async #backfill(key: string, found: ValueWithExpire, upTo: number): Promise<void> {
    const ttl = found.ttl === -1 ? undefined : Math.max(1, found.ttl);
    await Promise.all(this.tiers.slice(0, upTo).map((tier) => tier.set(key, found.value, { ttl })));
  }

  set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    return this.#write(key, value, options, (last) => this.#last.set(key, value, last));
  }

  /** `set` over every tier, the authority's part done by `toLast` (a plain or an indexed set). */
  #write(
    key: string,
    value: string,
    options: BackendSetOptions | undefined,
    toLast: (options: BackendSetOptions) => Promise<boolean>,
  ): Promise<boolean> {
    this.#begin(key);
    let pending: Promise<boolean>;
    try {
      pending =
        options?.exist === undefined
          ? this.#writeAll(key, value, options, toLast)
          : this.#writeIf(key, value, options, toLast);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (stored) => {
        this.#end(key);
        return stored;
      },
      (error: unknown) =>
        // A local copy of a write the authority did not take would outlive it: drop it.
        this.#upper((tier) => tier.delete(key))
          .catch(() => undefined)
          .then(() => {
            this.#end(key);
            throw error;
          }),
    );
  }

  /** A plain write: every tier at once; the authority's answer is the result. */
  #writeAll(
    key: string,
    value: string,
    options: BackendSetOptions | undefined,
    toLast: (options: BackendSetOptions) => Promise<boolean>,
  ): Promise<boolean> {
    const tiers = this.tiers;
    if (tiers.length === 2) {
      const upper = (tiers[0] as Backend).set(key, value, options);
      return Promise.all([upper, toLast(options ?? {})]).then((results) => results[1] === true);
    }
    const writes = tiers.slice(0, -1).map((tier) => tier.set(key, value, options));
    writes.push(toLast(options ?? {}));
    return Promise.all(writes).then((results) => results[results.length - 1] === true);
  }

  /**
   * A conditional write: the authority decides and the tiers above follow; if another write of
   * the key came meanwhile, which of the two the authority kept is not known here, so the copies
   * above are dropped instead (a delete called after this set must not be undone above).
   */
  #writeIf(
    key: string,
    value: string,
    options: BackendSetOptions,
    toLast: (options: BackendSetOptions) => Promise<boolean>,
  ): Promise<boolean> {
    return this.#tracked(key, async (stale) => {
      const stored = await toLast(options);
      if (stored)
        await this.#upper((tier) =>
          stale() ? tier.delete(key) : tier.set(key, value, { ttl: options.ttl }),
        );
      return stored;
    });
  }

  /**
   * Compare-and-set on the authority. The copies above are dropped whatever it answered: the
   * value it kept is refilled on the next read with its TTL, and a refused replace means the
   * `expected` value (often read from a copy above) was stale, so the retry must read below.
   */
  async #replace(
    toLast: NonNullable<Backend["replace"]>,
    key: string,
    expected: string,
    value: string,
    ttl: number | undefined,
  ): Promise<boolean> {
    this.#begin(key);
    try {
      const stored = await toLast(key, expected, value, ttl);
      await this.#upper((tier) => tier.delete(key));
      return stored;
    } finally {
      this.#end(key);
    }
  }

  async delete(key: string): Promise<boolean> {
    this.#begin(key);
    try {
      const results = await Promise.all(this.tiers.map((tier) => tier.delete(key)));
      return results.some(Boolean);
    } finally {
      this.#end(key);
    }
  }

  async exists(key: string): Promise<boolean> {
    for (const tier of this.tiers) if (await tier.exists(key)) return true;
    return false;
  }

  scan(pattern: string): AsyncIterable<string> {
    return this.#last.scan(pattern);
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    this.#begin(key);
    try {
      const value = await this.#last.incr(key, by, ttl);
      await this.#upper((tier) => tier.delete(key));
      return value;
    } finally {
      this.#end(key);
    }
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    this.#begin(key);
    try {
      const results = await Promise.all(this.tiers.map((tier) => tier.expire(key, ttl)));
      return results[results.length - 1] === true;
    } finally {
      this.#end(key);
    }
  }

  getExpire(key: string): Promise<number> {
    return this.#last.getExpire(key);
  }

  async clear(): Promise<void> {
    this.#touch(undefined);
    this.#clearing++;
    try {
      await Promise.all(this.tiers.map((tier) => tier.clear()));
    } finally {
      this.#clearing--;
      this.#touch(undefined);
    }
  }

  count(): Promise<number> {
    return this.#last.count();
  }

  ping(message?: string): Promise<string> {
    return this.#last.ping(message);
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    if (this.#last.setLock !== undefined) return this.#last.setLock(key, token, ttl);
    return this.#last.set(key, token, { ttl, exist: false });
  }

  async unlock(key: string, token: string): Promise<boolean> {
    if (this.#last.unlock !== undefined) return this.#last.unlock(key, token);
    if ((await this.#last.get(key)) !== token) return false;
    return this.#last.delete(key);
  }

  async #upper(fn: (tier: Backend) => Promise<unknown>): Promise<void> {
    await Promise.all(this.tiers.slice(0, -1).map(fn));
  }
}

/** A value and its TTL from `tier`: one call where it offers `getWithExpire`, else `get` + `getExpire`. */
export function readWithExpire(tier: Backend, key: string): Promise<ValueWithExpire | undefined> {
  if (tier.getWithExpire !== undefined) return tier.getWithExpire(key);
  return tier.get(key).then(async (value) => {
    if (value === undefined) return undefined;
    const ttl = await tier.getExpire(key);
    return ttl === -2 ? undefined : { value, ttl };
  });
}
