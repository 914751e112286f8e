import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheBackendError, CacheConfigError, CacheValueError, errorMessage } from "../core/errors";
import type { Backend, BackendCapabilities, BackendSetOptions } from "../core/types";
import { globPrefix, globToRegExp, isLiteralGlob } from "./_shared/glob";
import {
  exclusive,
  isKvNamespace,
  type KvMetadata,
  type KvNamespaceLike,
  lookupBinding,
} from "./cloudflare-kv-namespace";

export type { KvNamespaceLike } from "./cloudflare-kv-namespace";
export { cloudflareKv, cloudflareKvAdapter } from "./cloudflare-kv-setup";

/** Options of `cloudflareKvBackend`; give exactly one of `namespace` and `binding`. */
export interface CloudflareKvBackendOptions {
  /** The KV namespace binding itself, such as `env.CACHE`. */
  namespace?: KvNamespaceLike;
  /** Name of a binding looked up in `env` from `cloudflare:workers` on first use, such as `"CACHE"`. */
  binding?: string;
  /** Text put before every key, so several caches can share one namespace; `clear` and `count` see only their own. Default `""`. */
  base?: string;
  /** Time source (milliseconds since the epoch); default `systemClock`. */
  clock?: Clock;
}

/** Longest KV key in UTF-8 bytes. */
const KV_MAX_KEY_BYTES = 512;
/** KV refuses an `expirationTtl` below 60 seconds. */
const KV_MIN_TTL_S = 60;
const BULK_GET = 100;
const DELETE_BATCH = 50;
const INTEGER = /^-?\d+$/;
const encoder = new TextEncoder();

type Entry = { value: string; expiresAt: number | undefined };

/**
 * Cache storage in a Workers KV namespace. Each key's expiry (epoch ms) lives in its KV metadata,
 * so TTLs below KV's 60 s floor, lock TTLs included, end to the millisecond; KV's own expiration
 * (at least 60 s) only reclaims the storage later. KV has no atomic increment or compare-and-set:
 * `incr`, `set` with `exist`, `setLock` and `unlock` are read-then-write, serialised per key
 * within one isolate and racy across isolates and locations. Reads are eventually consistent.
 */
export class CloudflareKvBackend implements Backend {
  /** Always `"cloudflare-kv"`. */
  readonly name = "cloudflare-kv";
  /** Exact TTLs (kept in metadata), 512-byte keys minus `base`, not atomic, eventually consistent. */
  readonly capabilities: BackendCapabilities;
  readonly #base: string;
  readonly #clock: Clock;
  readonly #binding: string | undefined;
  #namespace: KvNamespaceLike | undefined;
  #lookup: Promise<KvNamespaceLike> | undefined;
  #bulkGet = true;

  constructor(options: CloudflareKvBackendOptions) {
    const { namespace, binding, base = "", clock = systemClock } = options;
    if ((namespace === undefined) === (binding === undefined)) {
      throw configError("pass exactly one of `namespace` (env.CACHE) and `binding` (its name)");
    }
    if (namespace !== undefined && !isKvNamespace(namespace)) {
      throw configError("`namespace` is not a Workers KV namespace binding; pass env.CACHE itself");
    }
    if (binding !== undefined && (typeof binding !== "string" || binding.length === 0)) {
      throw configError("`binding` must be the non-empty name of a KV binding, such as CACHE");
    }
    if (typeof base !== "string") throw configError("`base` must be a string");
    const baseBytes = encoder.encode(base).length;
    if (baseBytes >= KV_MAX_KEY_BYTES)
      throw configError(`\`base\` is ${baseBytes} bytes, KV keys at most 512`);
    this.#namespace = namespace;
    this.#binding = binding;
    this.#base = base;
    this.#clock = clock;
    this.capabilities = Object.freeze({
      nativeTtl: true,
      // The backend accepts any TTL: below KV's 60 s floor the expiry is enforced from metadata.
      minTtlMs: 0,
      maxKeyBytes: KV_MAX_KEY_BYTES - baseBytes,
      atomic: false,
      consistency: "eventual",
    });
  }

  /** Resolves `binding` from the Worker's env; the core calls it once before the first command. */
  async init(): Promise<void> {
    await this.#ready();
  }

  /**
   * The namespace, looked up on first need. Every command awaits it rather than trusting `init`,
   * because the core's scans reach the backend without going through `init` first.
   */
  #ready(): Promise<KvNamespaceLike> {
    if (this.#namespace !== undefined) return Promise.resolve(this.#namespace);
    if (this.#lookup === undefined) {
      this.#lookup = lookupBinding(this.#binding as string).then(
        (namespace) => {
          this.#namespace = namespace;
          return namespace;
        },
        (error: unknown) => {
          this.#lookup = undefined; // a later command may find the binding
          throw error;
        },
      );
    }
    return this.#lookup;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#read(this.#key(key)))?.value;
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.#readNames(keys.map((key) => this.#key(key)));
  }

  async #readNames(names: readonly string[]): Promise<(string | undefined)[]> {
    if (this.#bulkGet && names.length > 1) {
      try {
        return await this.#readBulk(names);
      } catch (error) {
        // Runtimes before bulk reads reject a key array with a TypeError; read one by one there.
        if (!(error instanceof TypeError)) throw error;
        this.#bulkGet = false;
      }
    }
    return Promise.all(names.map(async (name) => (await this.#read(name))?.value));
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const name = this.#key(key);
    const expiresAt = this.#expiry(options?.ttl);
    const exist = options?.exist;
    if (exist === undefined) {
      await this.#write(name, value, expiresAt);
      return true;
    }
    return exclusive(await this.#ready(), name, async () => {
      if (((await this.#read(name)) !== undefined) !== exist) return false;
      await this.#write(name, value, expiresAt);
      return true;
    });
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    const expiresAt = this.#expiry(ttl);
    const named = entries.map(([key, value]) => [this.#key(key), value] as const);
    await Promise.all(named.map(([name, value]) => this.#write(name, value, expiresAt)));
  }

  async delete(key: string): Promise<boolean> {
    const name = this.#key(key);
    return exclusive(await this.#ready(), name, async () => {
      const existed = (await this.#read(name)) !== undefined;
      if (existed) await (await this.#ready()).delete(name);
      return existed;
    });
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const names = [...new Set(keys.map((key) => this.#key(key)))];
    // One bulk read tells which keys exist, so each delete costs one round trip, not two.
    const values = await this.#readNames(names);
    const present = names.filter((_, at) => values[at] !== undefined);
    const ns = await this.#ready();
    await Promise.all(present.map((name) => exclusive(ns, name, () => ns.delete(name))));
    return present.length;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#read(this.#key(key))) !== undefined;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    if (isLiteralGlob(pattern)) {
      const key = globPrefix(pattern);
      if (this.#fits(key) && (await this.exists(key))) yield key;
      return;
    }
    const regexp = globToRegExp(pattern);
    for await (const key of this.#list(globPrefix(pattern))) if (regexp.test(key)) yield key;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      throw new TypeError(
        errorMessage(this.name, `incr by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
      );
    }
    const name = this.#key(key);
    const expiresAt = this.#expiry(ttl);
    return exclusive(await this.#ready(), name, async () => {
      const entry = await this.#read(name);
      if (entry === undefined) {
        await this.#write(name, String(by), expiresAt);
        return by;
      }
      const current = INTEGER.test(entry.value) ? Number(entry.value) : Number.NaN;
      const next = current + by || 0;
      if (!Number.isSafeInteger(current) || !Number.isSafeInteger(next)) {
        throw new CacheValueError(
          errorMessage(
            this.name,
            `incr of "${key}" failed because its value is not a decimal integer or the sum leaves the safe range`,
            "keep counters apart from other values (the value was left unchanged)",
          ),
        );
      }
      await this.#write(name, String(next), entry.expiresAt);
      return next;
    });
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const name = this.#key(key);
    const expiresAt = this.#expiry(ttl);
    return exclusive(await this.#ready(), name, async () => {
      const entry = await this.#read(name);
      if (entry === undefined) return false;
      await this.#write(name, entry.value, expiresAt);
      return true;
    });
  }

  async getExpire(key: string): Promise<number> {
    const entry = await this.#read(this.#key(key));
    if (entry === undefined) return -2;
    return entry.expiresAt === undefined ? -1 : Math.max(1, Math.ceil(entry.expiresAt - this.#clock.now()));
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.set(key, token, { ttl, exist: false });
  }

  async unlock(key: string, token: string): Promise<boolean> {
    const name = this.#key(key);
    return exclusive(await this.#ready(), name, async () => {
      if ((await this.#read(name))?.value !== token) return false;
      await (await this.#ready()).delete(name);
      return true;
    });
  }

  async clear(): Promise<void> {
    const names: string[] = [];
    for await (const page of this.#pages(this.#base)) names.push(...page.map((entry) => entry.name));
    const ns = await this.#ready();
    for (let start = 0; start < names.length; start += DELETE_BATCH) {
      await Promise.all(names.slice(start, start + DELETE_BATCH).map((name) => ns.delete(name)));
    }
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const _ of this.#list("")) count++;
    return count;
  }

  async ping(message?: string): Promise<string> {
    // A read proves the binding answers; KV has no ping of its own.
    await (await this.#ready()).get(`${this.#base}__isocache__:ping`, "text");
    return message ?? "PONG";
  }

  async close(): Promise<void> {}

  /** Live keys (without `base`) starting with `prefix`, page by page from `list`. */
  async *#list(prefix: string): AsyncIterable<string> {
    const now = this.#clock.now();
    const skip = this.#base.length;
    for await (const page of this.#pages(this.#base + prefix)) {
      for (const entry of page) {
        const expiresAt = (entry.metadata as KvMetadata | undefined)?.e;
        if (expiresAt === undefined || expiresAt > now) yield entry.name.slice(skip);
      }
    }
  }

  async *#pages(prefix: string) {
    const ns = await this.#ready();
    let cursor: string | undefined;
    for (;;) {
      const page = await ns.list(cursor === undefined ? { prefix } : { prefix, cursor });
      yield page.keys;
      if (page.list_complete || page.cursor === undefined || page.cursor === "") return;
      cursor = page.cursor;
    }
  }

  async #read(name: string): Promise<Entry | undefined> {
    const { value, metadata } = await (await this.#ready()).getWithMetadata(name, "text");
    return this.#live(value, metadata);
  }

  async #readBulk(names: readonly string[]): Promise<(string | undefined)[]> {
    const ns = (await this.#ready()) as unknown as {
      getWithMetadata(
        keys: string[],
        type: "text",
      ): Promise<Map<string, { value: string | null; metadata: unknown } | null>>;
    };
    const out: (string | undefined)[] = [];
    for (let start = 0; start < names.length; start += BULK_GET) {
      const chunk = [...new Set(names.slice(start, start + BULK_GET))];
      const found = await ns.getWithMetadata(chunk, "text");
      for (const name of names.slice(start, start + BULK_GET)) {
        const hit = found.get(name);
        out.push(hit === null || hit === undefined ? undefined : this.#live(hit.value, hit.metadata)?.value);
      }
    }
    return out;
  }

  #live(value: string | null, metadata: unknown): Entry | undefined {
    if (value === null) return undefined;
    const expiresAt = (metadata as KvMetadata | null)?.e;
    if (typeof expiresAt === "number" && expiresAt <= this.#clock.now()) return undefined;
    return { value, expiresAt: typeof expiresAt === "number" ? expiresAt : undefined };
  }

  /** Writes `value` with its exact expiry in metadata and KV's own expiration at least 60 s out. */
  async #write(name: string, value: string, expiresAt: number | undefined): Promise<void> {
    const ns = await this.#ready();
    if (expiresAt === undefined) return ns.put(name, value);
    const left = expiresAt - this.#clock.now();
    // A TTL of 0 or less expires the key at once (as Redis PEXPIRE does).
    if (left <= 0) return ns.delete(name);
    const expirationTtl = Math.max(KV_MIN_TTL_S, Math.ceil(left / 1000));
    return ns.put(name, value, { expirationTtl, metadata: { e: expiresAt } satisfies KvMetadata });
  }

  #expiry(ttl: number | undefined): number | undefined {
    if (ttl === undefined) return undefined;
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
      const problem = `ttl ${String(ttl)} is not a finite number of milliseconds`;
      throw new CacheConfigError(
        errorMessage(this.name, problem, "pass milliseconds, or no ttl for no expiry"),
      );
    }
    return this.#clock.now() + ttl;
  }

  #fits(key: string): boolean {
    return encoder.encode(this.#base + key).length <= KV_MAX_KEY_BYTES;
  }

  /** The KV key of `key`; refuses what KV would refuse, before any round trip. */
  #key(key: string): string {
    const name = this.#base + key;
    if (name === "." || name === "..") {
      throw new TypeError(
        errorMessage(
          this.name,
          `Workers KV refuses the key name "${name}"`,
          "use another key, or set a `base`",
        ),
      );
    }
    if (!this.#fits(key)) {
      const bytes = encoder.encode(name).length;
      throw new CacheBackendError(
        this.name,
        errorMessage(
          this.name,
          `the key "${key.slice(0, 40)}…" is ${bytes} bytes with its base, above Workers KV's 512-byte limit`,
          'shorten it, or hash the long part with a key template such as "{q:hash(sha256)}"',
        ),
      );
    }
    return name;
  }
}

/**
 * Creates a backend over a Workers KV namespace binding.
 * @example
 * import { cloudflareKvBackend } from "isocache/backends/cloudflare-kv";
 * export default { fetch(request, env) { cache.setup(cloudflareKvBackend({ namespace: env.CACHE })); … } };
 */
export function cloudflareKvBackend(options: CloudflareKvBackendOptions): Backend {
  return new CloudflareKvBackend(options);
}

function configError(problem: string): CacheConfigError {
  return new CacheConfigError(errorMessage("cloudflare-kv", problem, "see the README's Workers KV section"));
}
