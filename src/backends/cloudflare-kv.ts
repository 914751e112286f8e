import type { Clock } from "../core/clock";
import { systemClock } from "../core/clock";
import { CacheArgumentError, CacheConfigError, CacheValueError, errorMessage } from "../core/errors";
import type { Backend, BackendCapabilities, BackendSetOptions } from "../core/types";
import { parseGlob } from "./_shared/glob";
import { exclusive, exclusiveMany, isKvNamespace, type KvNamespaceLike } from "./cloudflare-kv-namespace";
import { byteLength, KV_MAX_KEY_BYTES, KvStore } from "./cloudflare-kv-store";

export type { KvNamespaceLike } from "./cloudflare-kv-namespace";
export { cloudflareKv, cloudflareKvAdapter } from "./cloudflare-kv-setup";

/** Options of `cloudflareKvBackend`; give exactly one of `namespace` and `binding`. */
export interface CloudflareKvBackendOptions {
  /** The KV namespace binding itself, such as `env.CACHE`. */
  namespace?: KvNamespaceLike;
  /** Name of a binding looked up in `env` from `cloudflare:workers` on first use, such as `"CACHE"`. */
  binding?: string;
  /**
   * Namespace of this cache's keys inside the KV namespace, so several caches can share one;
   * `scan`, `clear` and `count` see only their own. A base that does not end with `:` or `/` gets
   * `:` added (`"app"` stores `app:<key>`), so `"app"` never meets `"app2"`; a base that starts
   * with another's namespace (`"app:v2"` in `"app"`) lies inside it. Default `""`: the whole namespace.
   */
  base?: string;
  /** Time source (milliseconds since the epoch); default `systemClock`. */
  clock?: Clock;
}

const DELETE_BATCH = 50;
const INTEGER = /^-?\d+$/;

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
  readonly #kv: KvStore;
  readonly #clock: Clock;

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
    const prefix = namespaceOf(base);
    const baseBytes = byteLength(prefix);
    if (baseBytes >= KV_MAX_KEY_BYTES)
      throw configError(`\`base\` is ${baseBytes} bytes with its separator, KV keys at most 512`);
    this.#kv = new KvStore(namespace, binding, prefix, clock);
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
    await this.#kv.ready();
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.#kv.read(this.#kv.name(key)))?.value;
  }

  getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return this.#kv.readMany(keys.map((key) => this.#kv.name(key)));
  }

  async set(key: string, value: string, options?: BackendSetOptions): Promise<boolean> {
    const name = this.#kv.name(key);
    const expiresAt = this.#expiry(options?.ttl);
    const exist = options?.exist;
    // Plain writes take the key's turn too, so an incr in flight cannot overwrite them with a stale sum.
    return exclusive(await this.#kv.ready(), name, async () => {
      if (exist !== undefined && ((await this.#kv.read(name)) !== undefined) !== exist) return false;
      await this.#kv.write(name, value, expiresAt);
      return true;
    });
  }

  async setMany(entries: readonly (readonly [string, string])[], ttl?: number): Promise<void> {
    const expiresAt = this.#expiry(ttl);
    const named = entries.map(([key, value]) => [this.#kv.name(key), value] as const);
    const ns = await this.#kv.ready();
    await Promise.all(
      named.map(([name, value]) => exclusive(ns, name, () => this.#kv.write(name, value, expiresAt))),
    );
  }

  // The read only counts: KV reads are eventually consistent, so a key another location has
  // just written can read as absent here, and a delete skipped for that would be lost for good.
  async delete(key: string): Promise<boolean> {
    const name = this.#kv.name(key);
    const ns = await this.#kv.ready();
    return exclusive(ns, name, async () => {
      const existed = (await this.#kv.read(name)) !== undefined;
      await this.#kv.remove(name);
      return existed;
    });
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const names = [...new Set(keys.map((key) => this.#kv.name(key)))];
    const ns = await this.#kv.ready();
    // Every key's turn at once, behind the writes of those keys in flight; one bulk read counts
    // the keys that exist, and every key is deleted whatever it said (see `delete`).
    return exclusiveMany(ns, names, async () => {
      const values = await this.#kv.readMany(names);
      await Promise.all(names.map((name) => this.#kv.remove(name)));
      return values.filter((value) => value !== undefined).length;
    });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#kv.read(this.#kv.name(key))) !== undefined;
  }

  async *scan(pattern: string): AsyncIterable<string> {
    const { literal, prefix, regexp } = parseGlob(pattern);
    // No key is longer than KV allows, and `list` refuses a longer prefix.
    if (!this.#kv.fits(prefix)) return;
    if (literal) {
      if (await this.exists(prefix)) yield prefix;
      return;
    }
    for await (const key of this.#kv.keys(prefix)) if (regexp.test(key)) yield key;
  }

  async incr(key: string, by: number, ttl?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) {
      throw new CacheArgumentError(
        errorMessage(this.name, `incr by ${String(by)} failed`, "pass a safe integer such as 1 or -1"),
      );
    }
    const name = this.#kv.name(key);
    const expiresAt = this.#expiry(ttl);
    return exclusive(await this.#kv.ready(), name, async () => {
      const entry = await this.#kv.read(name);
      if (entry === undefined) {
        await this.#kv.write(name, String(by), expiresAt);
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
      await this.#kv.write(name, String(next), entry.expiresAt);
      return next;
    });
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const name = this.#kv.name(key);
    const expiresAt = this.#expiry(ttl);
    return exclusive(await this.#kv.ready(), name, async () => {
      const entry = await this.#kv.read(name);
      if (entry === undefined) return false;
      await this.#kv.write(name, entry.value, expiresAt);
      return true;
    });
  }

  async getExpire(key: string): Promise<number> {
    const entry = await this.#kv.read(this.#kv.name(key));
    if (entry === undefined) return -2;
    return entry.expiresAt === undefined ? -1 : Math.max(1, Math.ceil(entry.expiresAt - this.#clock.now()));
  }

  async setLock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.set(key, token, { ttl, exist: false });
  }

  async unlock(key: string, token: string): Promise<boolean> {
    const name = this.#kv.name(key);
    return exclusive(await this.#kv.ready(), name, async () => {
      if ((await this.#kv.read(name))?.value !== token) return false;
      await this.#kv.remove(name);
      return true;
    });
  }

  async clear(): Promise<void> {
    const names: string[] = [];
    for await (const page of this.#kv.names(this.#kv.base)) names.push(...page.map((entry) => entry.name));
    for (let start = 0; start < names.length; start += DELETE_BATCH) {
      await Promise.all(names.slice(start, start + DELETE_BATCH).map((name) => this.#kv.remove(name)));
    }
  }

  async count(): Promise<number> {
    let count = 0;
    for await (const _ of this.#kv.keys("")) count++;
    return count;
  }

  async ping(message?: string): Promise<string> {
    // A read proves the binding answers; KV has no ping of its own.
    await (await this.#kv.ready()).get("__isocache__:ping", "text");
    return message ?? "PONG";
  }

  async close(): Promise<void> {}

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

/**
 * The text before every key of a `base`: the base with `:` after it unless it already ends with
 * a separator. Without one, base `"app"` and key `"2x"` would be the KV key of base `"app2"` and
 * key `"x"`, and each cache would list, clear and overwrite the other's keys.
 */
function namespaceOf(base: string): string {
  return base === "" || base.endsWith(":") || base.endsWith("/") ? base : `${base}:`;
}

function configError(problem: string): CacheConfigError {
  return new CacheConfigError(errorMessage("cloudflare-kv", problem, "see the README's Workers KV section"));
}
