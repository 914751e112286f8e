// What a tiered backend tracks so a value read from a lower tier is not copied up over a newer
// write: the writes and clears in flight, and the keys written while any read from below runs.

/**
 * Guards back-fills against writes that come while the lower tier's reply is in hand but not
 * yet copied up, this process's own (a delete called while a get is in flight) and other
 * processes' invalidations.
 */
export class BackfillGuard {
  // `#flushes` counts "everything changed" events, `#dirty` remembers the keys written while any
  // read is in flight, with the sequence number they were seen at.
  #flushes = 0;
  #seq = 0;
  #reading = 0;
  readonly #dirty = new Map<string, number>();
  // Writes in flight, by key (and clears): a read from below that overlaps one may have read from
  // before it, so its answer is not copied up (`settled`).
  readonly #writing = new Map<string, number>();
  #clearing = 0;

  /** Notes a write of `key` (`undefined`: of every key) for the reads in flight, so none copies an older value up over it. */
  touch(key: string | undefined): void {
    if (key === undefined) this.#flushes++;
    else if (this.#reading > 0) this.#dirty.set(key, ++this.#seq);
  }

  /** Notes the start of this process's write of `key` over the tiers; `end` its end (see `settled`). */
  begin(key: string): void {
    this.touch(key);
    this.#writing.set(key, (this.#writing.get(key) ?? 0) + 1);
  }

  /** Notes the end of a write `begin` noted. */
  end(key: string): void {
    const left = (this.#writing.get(key) ?? 1) - 1;
    if (left === 0) this.#writing.delete(key);
    else this.#writing.set(key, left);
    this.touch(key);
  }

  /** Notes the start of a clear of every tier; `endClear` its end. */
  beginClear(): void {
    this.touch(undefined);
    this.#clearing++;
  }

  /** Notes the end of a clear `beginClear` noted. */
  endClear(): void {
    this.#clearing--;
    this.touch(undefined);
  }

  /** True when no write of `key` (or clear) is in flight, so a value read from below may be copied up. */
  settled(key: string): boolean {
    return this.#clearing === 0 && (this.#writing.size === 0 || !this.#writing.has(key));
  }

  /** Runs a read from below; `stale()` tells whether `key` was invalidated meanwhile, so its value must not be copied up. */
  tracked<T>(key: string, read: (stale: () => boolean) => Promise<T>): Promise<T> {
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
}
