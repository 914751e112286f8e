// Key-level access to one KV namespace under a `base`: key checks, reads that honour the expiry
// kept in metadata, writes that put it there (with KV's native expiration at least 60 s out),
// bulk reads and listing. The backend builds cache semantics on top of it.
import type { Clock } from "../core/clock";
import { CacheArgumentError, CacheBackendError, errorMessage } from "../core/errors";
import { type KvMetadata, type KvNamespaceLike, lookupBinding } from "./cloudflare-kv-namespace";

/** Longest KV key in UTF-8 bytes. */
export const KV_MAX_KEY_BYTES = 512;
/** Longest KV value in bytes (25 MiB); a bulk read answers at most this much in all, too. */
const KV_MAX_VALUE_BYTES = 25 * 1024 * 1024;
/** KV refuses an `expirationTtl` below 60 seconds. */
const KV_MIN_TTL_S = 60;
/** The binding takes `expirationTtl` as a 32-bit integer (about 68 years) and throws above it. */
const KV_MAX_TTL_S = 2_147_483_647;
const BULK_GET = 100;
const NAME = "cloudflare-kv";
const encoder = new TextEncoder();

/** A live value and its expiry in epoch ms (`undefined`: none). */
export interface KvEntry {
  value: string;
  expiresAt: number | undefined;
}

type BulkReader = {
  getWithMetadata(
    keys: string[],
    type: "text",
  ): Promise<Map<string, { value: string | null; metadata: unknown } | null>>;
};

/** UTF-8 length of `text` in bytes. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** One namespace (given, or looked up by binding name on first need) seen through `base`. */
export class KvStore {
  readonly base: string;
  readonly #clock: Clock;
  readonly #binding: string | undefined;
  #namespace: KvNamespaceLike | undefined;
  #lookup: Promise<KvNamespaceLike> | undefined;
  #bulkGet = true;

  constructor(
    namespace: KvNamespaceLike | undefined,
    binding: string | undefined,
    base: string,
    clock: Clock,
  ) {
    this.#namespace = namespace;
    this.#binding = binding;
    this.base = base;
    this.#clock = clock;
  }

  /**
   * The namespace, looked up on first need. Every command awaits it rather than trusting `init`,
   * because the core's scans reach the backend without going through `init` first.
   */
  ready(): Promise<KvNamespaceLike> {
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

  /** True when `key` under `base` fits KV's key limit. */
  fits(key: string): boolean {
    return byteLength(this.base + key) <= KV_MAX_KEY_BYTES;
  }

  /** The KV key of `key`; refuses what KV would refuse, before any round trip. */
  name(key: string): string {
    const name = this.base + key;
    if (name === "." || name === "..") {
      throw new CacheArgumentError(
        errorMessage(NAME, `Workers KV refuses the key name "${name}"`, "use another key, or set a `base`"),
      );
    }
    if (!this.fits(key)) {
      throw new CacheBackendError(
        NAME,
        errorMessage(
          NAME,
          `the key "${key.slice(0, 40)}…" is ${byteLength(name)} bytes with its base, above Workers KV's 512-byte limit`,
          'shorten it, or hash the long part with a key template such as "{q:hash(sha256)}"',
        ),
      );
    }
    return name;
  }

  /** The live entry under a KV key, or `undefined`. */
  async read(name: string): Promise<KvEntry | undefined> {
    const ns = await this.ready();
    const { value, metadata } = await ns.getWithMetadata(name, "text").catch((error: unknown) => {
      throw kvFailure("read", error);
    });
    return this.#live(value, metadata);
  }

  /** Live values of several KV keys, in order; bulk reads of 100 where the runtime has them. */
  async readMany(names: readonly string[]): Promise<(string | undefined)[]> {
    if (this.#bulkGet && names.length > 1) {
      try {
        return await this.#readBulk(names);
      } catch (error) {
        // Runtimes before bulk reads reject a key array with a TypeError; read one by one there.
        if (!(error instanceof TypeError)) throw error;
        this.#bulkGet = false;
      }
    }
    return Promise.all(names.map(async (name) => (await this.read(name))?.value));
  }

  async #readBulk(names: readonly string[]): Promise<(string | undefined)[]> {
    const ns = (await this.ready()) as unknown as BulkReader;
    const out: (string | undefined)[] = [];
    for (let start = 0; start < names.length; start += BULK_GET) {
      const chunk = names.slice(start, start + BULK_GET);
      let found: Map<string, { value: string | null; metadata: unknown } | null>;
      try {
        found = await ns.getWithMetadata([...new Set(chunk)], "text");
      } catch (error) {
        // KV refuses a bulk read whose values pass 25 MiB in all (413); each of them alone it reads.
        if (!TOO_LARGE.test(errorText(error))) throw kvFailure("read", error);
        out.push(...(await Promise.all(chunk.map(async (name) => (await this.read(name))?.value))));
        continue;
      }
      for (const name of chunk) {
        const hit = found.get(name);
        out.push(hit === null || hit === undefined ? undefined : this.#live(hit.value, hit.metadata)?.value);
      }
    }
    return out;
  }

  #live(value: string | null, metadata: unknown): KvEntry | undefined {
    if (value === null) return undefined;
    const expiresAt = (metadata as KvMetadata | null)?.e;
    if (typeof expiresAt !== "number") return { value, expiresAt: undefined };
    return expiresAt <= this.#clock.now() ? undefined : { value, expiresAt };
  }

  /**
   * Writes `value` with its exact expiry in metadata and KV's own expiration at least 60 s out
   * (none beyond what `expirationTtl` can say: the metadata alone ends such a key).
   */
  async write(name: string, value: string, expiresAt: number | undefined): Promise<void> {
    // At most 3 bytes a UTF-16 unit: only a value that could pass the limit is measured.
    const bytes = value.length * 3 > KV_MAX_VALUE_BYTES ? byteLength(value) : 0;
    if (bytes > KV_MAX_VALUE_BYTES) {
      throw new CacheBackendError(
        NAME,
        errorMessage(
          NAME,
          `the value of "${name.slice(this.base.length, this.base.length + 40)}" is ${bytes} bytes as stored, above Workers KV's 25 MiB limit`,
          "store less under one key, or set the cache's `compress` option",
        ),
      );
    }
    const ns = await this.ready();
    if (expiresAt === undefined) return ns.put(name, value).catch(rethrow("write"));
    const left = expiresAt - this.#clock.now();
    // A TTL of 0 or less expires the key at once (as Redis PEXPIRE does).
    if (left <= 0) return this.remove(name);
    const expirationTtl = Math.max(KV_MIN_TTL_S, Math.ceil(left / 1000));
    const metadata: KvMetadata = { e: expiresAt };
    return ns
      .put(name, value, expirationTtl > KV_MAX_TTL_S ? { metadata } : { expirationTtl, metadata })
      .catch(rethrow("write"));
  }

  /** Deletes a KV key (a write, for KV's limits). */
  async remove(name: string): Promise<void> {
    return (await this.ready()).delete(name).catch(rethrow("delete"));
  }

  /** Live keys (without `base`) starting with `prefix`, page by page from `list`. */
  async *keys(prefix: string): AsyncIterable<string> {
    const now = this.#clock.now();
    for await (const page of this.names(this.base + prefix)) {
      for (const entry of page) {
        const expiresAt = (entry.metadata as KvMetadata | undefined)?.e;
        if (expiresAt === undefined || expiresAt > now) yield entry.name.slice(this.base.length);
      }
    }
  }

  /** Every stored entry (expired ones too) whose KV key starts with `prefix`, a `list` page at a time. */
  async *names(prefix: string) {
    const ns = await this.ready();
    let cursor: string | undefined;
    for (;;) {
      const page = await ns
        .list(cursor === undefined ? { prefix } : { prefix, cursor })
        .catch(rethrow("list"));
      yield page.keys;
      if (page.list_complete || page.cursor === undefined || page.cursor === "") return;
      cursor = page.cursor;
    }
  }
}

const TOO_LARGE = /\b413\b/;
// KV answers a second write of one key within a second with 429; workerd refuses the operations
// of one invocation past its limit (1000 by default) with "Too many API requests".
const RATE_LIMITED = /\b429\b/;
const TOO_MANY_OPERATIONS = /too many api requests/i;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What KV threw, as a `CacheBackendError` that says what to do when it is one of KV's own
 * limits; any other failure is left to the core, which reports it as it reports every backend's.
 */
function kvFailure(operation: string, error: unknown): unknown {
  const text = errorText(error);
  const remedy = RATE_LIMITED.test(text)
    ? "Workers KV takes about one write a second to one key; write this key less often, or handle it through onError"
    : TOO_MANY_OPERATIONS.test(text)
      ? "a Worker invocation may make a limited number of KV operations (1000 by default); do fewer per request (clear and deleteMatch take one per key), or raise `limits` in wrangler.toml"
      : undefined;
  if (remedy === undefined) return error;
  return new CacheBackendError(NAME, errorMessage(NAME, `${operation} failed (${text})`, remedy), {
    cause: error,
  });
}

function rethrow(operation: string): (error: unknown) => never {
  return (error) => {
    throw kvFailure(operation, error);
  };
}
