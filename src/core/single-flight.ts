/**
 * Shares one in-flight execution per key between concurrent callers in this process: the first
 * caller runs `load`, the others await the same promise, and the entry is gone once it settles.
 */
export class SingleFlight {
  readonly #inflight = new Map<string, Promise<unknown>>();

  /** Runs `load` for `key` unless a run for it is already in flight, then shares that one. */
  run<T>(key: string, load: () => Promise<T>): Promise<T> {
    const existing = this.#inflight.get(key);
    if (existing !== undefined) return existing as Promise<T>;
    const pending = load().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, pending);
    return pending;
  }

  /** The run in flight for `key`, if any. */
  peek(key: string): Promise<unknown> | undefined {
    return this.#inflight.get(key);
  }

  /** Number of loads in flight. */
  get size(): number {
    return this.#inflight.size;
  }
}
