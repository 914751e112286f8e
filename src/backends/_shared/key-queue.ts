/**
 * Runs the read-modify-write steps of one key one after another within this process, so callers
 * of one backend object never interleave on a key and never poll a cross-process lock for each other.
 */
export class KeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` for `name` has settled; resolves or rejects with `fn`'s result. */
  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name);
    const result = previous === undefined ? fn() : previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(name, tail);
    void tail.then(() => {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    });
    return result;
  }
}
