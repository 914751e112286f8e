// What the Workers KV backend needs from the platform: the binding's shape (structural, so no
// @cloudflare/workers-types dependency), the lookup of a binding by name for `kv://NAME`, and the
// per-isolate key mutex that makes KV's read-modify-write emulations safe within one isolate.
import { CacheConfigError, errorMessage } from "../core/errors";

/** Metadata the backend stores beside each expiring value: `e`, the expiry in epoch milliseconds. */
export interface KvMetadata {
  e?: number;
}

/** One entry of a `list` page. */
export interface KvListKey {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

/**
 * The slice of a Workers KV namespace binding (`env.CACHE`) the backend uses; the real
 * `KVNamespace` of `@cloudflare/workers-types` fits it.
 */
export interface KvNamespaceLike {
  get(key: string, type: "text"): Promise<string | null>;
  getWithMetadata(key: string, type: "text"): Promise<{ value: string | null; metadata: unknown }>;
  put(key: string, value: string, options?: { expirationTtl?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: KvListKey[];
    list_complete: boolean;
    cursor?: string;
  }>;
}

const KV_METHODS = ["get", "getWithMetadata", "put", "delete", "list"] as const;

/** True for an object with the methods of a Workers KV namespace binding. */
export function isKvNamespace(value: unknown): value is KvNamespaceLike {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return KV_METHODS.every((method) => typeof candidate[method] === "function");
}

// A variable specifier: bundlers (wrangler, esbuild, tsup) leave the import alone, and Node,
// Bun, Deno and browsers never evaluate it unless a program sets up `kv://` there.
const WORKERS_MODULE = "cloudflare:workers";

/**
 * The binding called `name` in the Worker's `env`, read from `cloudflare:workers` on first use
 * (never at import, so a module that sets up `kv://NAME` at top level does no I/O there).
 */
export async function lookupBinding(name: string): Promise<KvNamespaceLike> {
  let env: Record<string, unknown> | undefined;
  try {
    const workers = (await import(/* @vite-ignore */ WORKERS_MODULE)) as { env?: Record<string, unknown> };
    env = workers.env;
  } catch (cause) {
    throw new CacheConfigError(
      errorMessage(
        "cloudflare-kv",
        `kv://${name} needs the Workers runtime's "cloudflare:workers" module, which could not be loaded`,
        "run inside Cloudflare Workers, or pass the binding itself: setup({ kv: env.CACHE })",
      ),
      { cause },
    );
  }
  const binding = env?.[name];
  if (!isKvNamespace(binding)) {
    throw new CacheConfigError(
      errorMessage(
        "cloudflare-kv",
        `the Worker's env has no KV namespace binding named "${name}"`,
        `declare it in wrangler.toml ([[kv_namespaces]] binding = "${name}"), or pass it: setup({ kv: env.${name} })`,
      ),
    );
  }
  return binding;
}

/** How long a command waits for an earlier one on the same key before going ahead anyway. */
const MUTEX_WAIT_MS = 5_000;

const tails = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Runs `fn` after every earlier `exclusive` call for `key` on `namespace` in this isolate has
 * settled, so two caches (or requests) of one isolate never interleave a read-modify-write.
 * The wait is bounded: a request that workerd cancelled mid-command must not stall the key
 * forever, so after `MUTEX_WAIT_MS` the call proceeds (best effort, like KV itself).
 */
export async function exclusive<T>(namespace: object, key: string, fn: () => Promise<T>): Promise<T> {
  let byKey = tails.get(namespace);
  if (byKey === undefined) {
    byKey = new Map();
    tails.set(namespace, byKey);
  }
  const previous = byKey.get(key);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  // Each call waits for the one before it only, so the chain stays one link long.
  byKey.set(key, mine);
  try {
    if (previous !== undefined) await boundedWait(previous);
    return await fn();
  } finally {
    release();
    if (byKey.get(key) === mine) byKey.delete(key);
  }
}

/**
 * `exclusive` for several keys at once: `fn` runs after every earlier call for any of `keys` has
 * settled, and later calls for any of them wait for it. The turns are taken together, in call
 * order, so a bulk command (`deleteMany`) cannot overtake a write of one of its keys in flight.
 */
export async function exclusiveMany<T>(
  namespace: object,
  keys: readonly string[],
  fn: () => Promise<T>,
): Promise<T> {
  let byKey = tails.get(namespace);
  if (byKey === undefined) {
    byKey = new Map();
    tails.set(namespace, byKey);
  }
  const previous: Promise<void>[] = [];
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const key of keys) {
    const before = byKey.get(key);
    if (before !== undefined) previous.push(before);
    byKey.set(key, mine);
  }
  try {
    if (previous.length > 0) await boundedWait(Promise.all(previous).then(() => undefined));
    return await fn();
  } finally {
    release();
    for (const key of keys) if (byKey.get(key) === mine) byKey.delete(key);
  }
}

function boundedWait(previous: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, MUTEX_WAIT_MS);
  });
  return Promise.race([previous, late]).finally(() => clearTimeout(timer));
}
