import { forwardAtomic } from "./atomic";
import type { SlotReader } from "./route";
import { BackfillGuard } from "./tiers-guard";
import { backfill, eachAbove, writeTiers } from "./tiers-write";
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
  readonly #guard = new BackfillGuard();
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
    this.capabilities = tieredCapabilities(tiers, last);
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
        writeTiers(this.tiers, this.#guard, key, value, options, (options) =>
          indexed(key, value, options, indexKeys, indexTtl),
        );
    if (lockUnlessStored !== undefined)
      this.lockUnlessStored = (lockKey, key, token, ttl) =>
        this.#guard.tracked(key, async (stale) => {
          const found = await lockUnlessStored.call(last, lockKey, key, token, ttl);
          if (typeof found !== "boolean" && !stale() && this.#guard.settled(key))
            await backfill(this.tiers, key, found, this.tiers.length - 1);
          return found;
        });
    if (replace !== undefined)
      this.replace = (key, expected, value, ttl) =>
        this.#replace(replace.bind(last), key, expected, value, ttl);
    if (native === undefined) return;
    const above = this.tiers.slice(0, -1);
    this.invalidateTag = (indexKey, tag) => this.#invalidateTag(native, above, indexKey, tag);
  }

  /** A tag invalidation run on the authority, whose members can also sit above: they are deleted there too. */
  async #invalidateTag(
    native: NonNullable<Backend["invalidateTag"]>,
    above: readonly Backend[],
    indexKey: string,
    tag: string,
  ): Promise<TagInvalidation> {
    const result = await native(indexKey, tag);
    // Absent members go too: a copy above may outlive the authority's record (a failed write).
    const gone = [...result.deleted, ...result.absent];
    for (const key of gone) this.#guard.touch(key);
    if (gone.length > 0)
      await Promise.all(
        above.map((tier) =>
          tier.deleteMany !== undefined
            ? tier.deleteMany(gone)
            : Promise.all(gone.map((key) => tier.delete(key))),
        ),
      );
    return result;
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

  #evict(above: readonly Backend[], key: string | undefined): void {
    this.#guard.touch(key);
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
    return this.#guard.tracked(key, (stale) => this.#readFrom(1, key, stale));
  }

  #readFrom(index: number, key: string, stale: () => boolean): Promise<string | undefined> {
    return readWithExpire(this.tiers[index] as Backend, key).then((found) => {
      if (found === undefined)
        return index + 1 < this.tiers.length ? this.#readFrom(index + 1, key, stale) : undefined;
      if (stale() || !this.#guard.settled(key)) return found.value;
      return backfill(this.tiers, key, found, index).then(() => found.value);
    });
  }

  set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    return writeTiers(this.tiers, this.#guard, key, value, options, (last) =>
      this.#last.set(key, value, last),
    );
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
    this.#guard.begin(key);
    try {
      return await dropAbove(this.tiers, key, toLast(key, expected, value, ttl));
    } finally {
      this.#guard.end(key);
    }
  }

  async delete(key: string): Promise<boolean> {
    this.#guard.begin(key);
    try {
      const results = await Promise.all(this.tiers.map((tier) => tier.delete(key)));
      return results.some(Boolean);
    } finally {
      this.#guard.end(key);
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
    this.#guard.begin(key);
    try {
      return await dropAbove(this.tiers, key, this.#last.incr(key, by, ttl));
    } finally {
      this.#guard.end(key);
    }
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    this.#guard.begin(key);
    try {
      const results = await Promise.allSettled(this.tiers.map((tier) => tier.expire(key, ttl)));
      const last = results[results.length - 1] as PromiseSettledResult<boolean>;
      const taken = last.status === "fulfilled" && last.value;
      // A copy above whose TTL the authority did not take (it failed, or no longer has the key)
      // could outlive the authority's key: drop it, to be refilled with the TTL the key has.
      if (results.some((result) => result.status === "rejected") || !taken)
        await eachAbove(this.tiers, (tier) => tier.delete(key)).catch(() => undefined);
      if (last.status === "rejected") throw last.reason;
      for (const result of results) if (result.status === "rejected") throw result.reason;
      return taken;
    } finally {
      this.#guard.end(key);
    }
  }

  getExpire(key: string): Promise<number> {
    return this.#last.getExpire(key);
  }

  async clear(): Promise<void> {
    this.#guard.beginClear();
    try {
      await Promise.all(this.tiers.map((tier) => tier.clear()));
    } finally {
      this.#guard.endClear();
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
}

/**
 * `pending` (the authority's counter or compare-and-set write of `key`), then the copies of `key`
 * above dropped whatever it answered: a write whose answer was lost (a dropped connection) may
 * still have been applied, and a copy from before it would outlive it. The authority's error
 * is the one thrown.
 */
function dropAbove<T>(tiers: readonly Backend[], key: string, pending: Promise<T>): Promise<T> {
  const drop = (): Promise<void> => eachAbove(tiers, (tier) => tier.delete(key));
  return pending.then(
    (value) => drop().then(() => value),
    (error: unknown) =>
      drop()
        .catch(() => undefined)
        .then(() => {
          throw error;
        }),
  );
}

/**
 * The tier whose records are the truth for `backend`'s keys: the last of a tiered backend, else
 * `backend`. A command that reads a record to decide its write (a rewrite, a lock) reads it here:
 * a copy above may outlive what another cache changed below (until its TTL), and a write based
 * on it would put a deleted key back, or keep a released lock held.
 */
export function authorityOf(backend: Backend): Backend {
  return backend instanceof TieredBackend ? (backend.tiers.at(-1) as Backend) : backend;
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

/** The capabilities of `tiers` read as one backend: the weakest of each, the authority's (`last`) for what only it serves. */
function tieredCapabilities(tiers: readonly Backend[], last: Backend): BackendCapabilities {
  const keyLimits = tiers.map((tier) => tier.capabilities.maxKeyBytes).filter((limit) => limit > 0);
  return {
    nativeTtl: tiers.every((tier) => tier.capabilities.nativeTtl),
    minTtlMs: Math.max(...tiers.map((tier) => tier.capabilities.minTtlMs)),
    maxKeyBytes: keyLimits.length > 0 ? Math.min(...keyLimits) : 0,
    atomic: last.capabilities.atomic,
    consistency: last.capabilities.consistency,
    ...(tiers.some((tier) => tier.capabilities.ordered === false) ? { ordered: false } : {}),
  };
}
