import type { Backend, BackendCapabilities, BackendSetOptions } from "./types";

/**
 * Several backends read left to right: a hit in a lower tier is copied back into the tiers
 * above it with the TTL it has left; writes and deletes go to every tier. The last tier is the
 * authority for counters, locks, scans and counts.
 */
export class TieredBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly tiers: readonly Backend[];
  readonly #last: Backend;

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
    };
  }

  async init(): Promise<void> {
    await Promise.all(this.tiers.map((tier) => tier.init?.()));
  }

  async close(): Promise<void> {
    await Promise.all(this.tiers.map((tier) => tier.close?.()));
  }

  async get(key: string): Promise<string | undefined> {
    const first = this.tiers[0] as Backend;
    const hit = await first.get(key);
    if (hit !== undefined) return hit;
    for (let index = 1; index < this.tiers.length; index++) {
      const tier = this.tiers[index] as Backend;
      // A lower tier's hit is back-filled with the TTL it has left, so read both at once where the
      // backend can: over HTTP that is one request instead of two.
      const [value, left] =
        tier.getWithExpire !== undefined ? await tier.getWithExpire(key) : await getThenExpire(tier, key);
      if (value === undefined) continue;
      if (left !== -2) await this.#backfill(key, value, left, index);
      return value;
    }
    return undefined;
  }

  async #backfill(key: string, value: string, left: number, upTo: number): Promise<void> {
    const ttl = left === -1 ? undefined : Math.max(1, left);
    await Promise.all(this.tiers.slice(0, upTo).map((tier) => tier.set(key, value, { ttl })));
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    if (options?.exist !== undefined) {
      const stored = await this.#last.set(key, value, options);
      if (stored) await this.#upper((tier) => tier.set(key, value, { ttl: options.ttl }));
      return stored;
    }
    const results = await Promise.all(this.tiers.map((tier) => tier.set(key, value, options)));
    return results[results.length - 1] === true;
  }

  async delete(key: string): Promise<boolean> {
    const results = await Promise.all(this.tiers.map((tier) => tier.delete(key)));
    return results.some(Boolean);
  }

  async exists(key: string): Promise<boolean> {
    for (const tier of this.tiers) if (await tier.exists(key)) return true;
    return false;
  }

  scan(pattern: string): AsyncIterable<string> {
    return this.#last.scan(pattern);
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    const value = await this.#last.incr(key, by, ttl);
    await this.#upper((tier) => tier.delete(key));
    return value;
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const results = await Promise.all(this.tiers.map((tier) => tier.expire(key, ttl)));
    return results[results.length - 1] === true;
  }

  getExpire(key: string): Promise<number> {
    return this.#last.getExpire(key);
  }

  async clear(): Promise<void> {
    await Promise.all(this.tiers.map((tier) => tier.clear()));
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

async function getThenExpire(tier: Backend, key: string): Promise<[string | undefined, number]> {
  const value = await tier.get(key);
  return value === undefined ? [undefined, -2] : [value, await tier.getExpire(key)];
}
