import { forwardAtomic } from "./atomic";
import type { Clock } from "./clock";
import { CacheConfigError, errorMessage } from "./errors";
import type { SchemeFactory } from "./setup";
import { readWithExpire } from "./tiers";
import type {
  Backend,
  BackendCapabilities,
  BackendSetOptions,
  InvalidationListener,
  ValueWithExpire,
} from "./types";

/**
 * How a URL scheme becomes a backend, split so the URL is checked at `setup` time without loading
 * the backend's client: `fromUrl` and `capabilities` live in a driver-free module, `create` in
 * the module that imports the client.
 */
export interface BackendScheme<O = unknown> {
  /** The URL scheme without `:`, such as `upstash`. */
  readonly scheme: string;
  /** Reads and validates the URL; throws `CacheConfigError`. */
  fromUrl(url: URL, params: URLSearchParams): O;
  /** What the backend built from these options will do natively. */
  capabilities(options: O): BackendCapabilities;
  /** Builds the backend (opening nothing yet). */
  create(options: O, env: { clock: Clock }): Backend;
}

const registry = new Map<string, SchemeFactory>();

/**
 * Makes `setup("<scheme>://…")` work through `scheme` on every cache of this program. Runtime
 * entries of bundled platforms (Workers, browsers) do not load clients on their own, so a
 * backend with a client is registered by the program that uses it.
 * @example
 * import { upstash } from "isocache/backends/upstash";
 * registerScheme(upstash);
 * cache.setup("upstash://?url=…&token=…");
 */
export function registerScheme<O>(scheme: BackendScheme<O>): void {
  registry.set(scheme.scheme, (url, params, env) => scheme.create(scheme.fromUrl(url, params), env));
}

/** The factory registered for `scheme`, if any. */
export function registeredScheme(scheme: string): SchemeFactory | undefined {
  return registry.get(scheme);
}

/**
 * A scheme whose backend module (and client) is imported on the first command: the URL is
 * checked at `setup`, the client loads only when used.
 */
export function lazyScheme<O>(
  name: string,
  fromUrl: (url: URL, params: URLSearchParams) => O,
  capabilities: (options: O) => BackendCapabilities,
  load: () => Promise<(options: O, env: { clock: Clock }) => Backend>,
): SchemeFactory {
  return (url, params, env) => {
    const options = fromUrl(url, params);
    return new LazyBackend(name, capabilities(options), async () => (await load())(options, env));
  };
}

/** A backend that imports its module on `init`, then delegates every call to the real one. */
class LazyBackend implements Backend {
  readonly name: string;
  readonly capabilities: BackendCapabilities;
  readonly #load: () => Promise<Backend>;
  #real: Backend | undefined;
  /** Listeners registered before the module loaded, attached to the real backend by `init`. */
  readonly #pending = new Map<InvalidationListener, () => void>();
  // The optional atomic methods exist only once the real backend is loaded and has them.
  slideWindow: Backend["slideWindow"];
  addMembers: Backend["addMembers"];
  removeMembers: Backend["removeMembers"];
  members: Backend["members"];
  invalidateTag: Backend["invalidateTag"];
  setIndexed: Backend["setIndexed"];
  lockUnlessStored: Backend["lockUnlessStored"];
  replace: Backend["replace"];

  constructor(name: string, capabilities: BackendCapabilities, load: () => Promise<Backend>) {
    this.name = name;
    this.capabilities = capabilities;
    this.#load = load;
  }

  async init(): Promise<void> {
    if (this.#real === undefined) {
      try {
        this.#real = await this.#load();
        forwardAtomic(this, this.#real);
        for (const listener of this.#pending.keys()) this.#attach(this.#real, listener);
      } catch (cause) {
        throw new CacheConfigError(
          errorMessage(
            this.name,
            `the ${this.name} backend could not be loaded (${cause instanceof Error ? cause.message : String(cause)})`,
            "install its client package (see the README's backend table)",
          ),
          { cause },
        );
      }
    }
    await this.#real.init?.();
  }

  get #backend(): Backend {
    if (this.#real === undefined) throw new Error(`${this.name} backend used before init`);
    return this.#real;
  }

  async close(): Promise<void> {
    await this.#real?.close?.();
  }

  get(key: string) {
    return this.#backend.get(key);
  }
  set(key: string, value: string, options?: BackendSetOptions) {
    return this.#backend.set(key, value, options);
  }
  delete(key: string) {
    return this.#backend.delete(key);
  }
  exists(key: string) {
    return this.#backend.exists(key);
  }
  async *scan(pattern: string): AsyncIterable<string> {
    yield* this.#backend.scan(pattern);
  }
  incr(key: string, by: number, ttl?: number) {
    return this.#backend.incr(key, by, ttl);
  }
  expire(key: string, ttl: number) {
    return this.#backend.expire(key, ttl);
  }
  getExpire(key: string) {
    return this.#backend.getExpire(key);
  }
  clear() {
    return this.#backend.clear();
  }
  count() {
    return this.#backend.count();
  }
  ping(message?: string) {
    return this.#backend.ping(message);
  }
  getMany(keys: readonly string[]) {
    const real = this.#backend;
    return real.getMany !== undefined ? real.getMany(keys) : Promise.all(keys.map((key) => real.get(key)));
  }
  async setMany(entries: readonly (readonly [string, string])[], ttl?: number) {
    const real = this.#backend;
    if (real.setMany !== undefined) return real.setMany(entries, ttl);
    await Promise.all(entries.map(([key, value]) => real.set(key, value, { ttl })));
  }
  async deleteMany(keys: readonly string[]) {
    const real = this.#backend;
    if (real.deleteMany !== undefined) return real.deleteMany(keys);
    return (await Promise.all(keys.map((key) => real.delete(key)))).filter(Boolean).length;
  }
  setLock(key: string, token: string, ttl: number) {
    const real = this.#backend;
    return real.setLock !== undefined
      ? real.setLock(key, token, ttl)
      : real.set(key, token, { ttl, exist: false });
  }
  async unlock(key: string, token: string) {
    const real = this.#backend;
    if (real.unlock !== undefined) return real.unlock(key, token);
    return (await real.get(key)) === token ? real.delete(key) : false;
  }
  getWithExpire(key: string): Promise<ValueWithExpire | undefined> {
    return readWithExpire(this.#backend, key);
  }
  onInvalidate(listener: InvalidationListener): () => void {
    this.#pending.set(listener, () => undefined);
    if (this.#real !== undefined) this.#attach(this.#real, listener);
    return () => {
      this.#pending.get(listener)?.();
      this.#pending.delete(listener);
    };
  }
  #attach(real: Backend, listener: InvalidationListener): void {
    const stop = real.onInvalidate?.(listener);
    if (stop !== undefined) this.#pending.set(listener, stop);
  }
}
