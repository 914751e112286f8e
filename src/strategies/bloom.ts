import { CacheBackendError } from "../core/errors";
import type { FeatureCache } from "../features/feature-cache";
import { configError, internalKey, whereOf } from "./_meta";
import type { Site } from "./decorate";
import { adapt } from "./decorate";
import type { Plan, StrategyOptions } from "./plan";
import { keyPlan, outsideTransaction } from "./rate-limit";
import type { StrategyDecorator } from "./types";

/** Extras of a `bloom` function. */
export interface BloomExtras {
  /** Marks these arguments as present, so later calls with them run the function. */
  // biome-ignore lint/suspicious/noExplicitAny: the arguments of the wrapped function.
  set(...args: any[]): Promise<void>;
  /** Empties the filter: every call answers `false` until arguments are marked again. */
  clear(): Promise<void>;
}

/** Bits per stored block (512 bytes): one read per probed block, never the whole filter. */
const BLOCK_BITS = 4096;
/** Hash positions are 32-bit; a larger filter could not address its bits. */
const MAX_BITS = 2 ** 32;
/** How long a block's lock is held at most: one read and one write of 512 bytes. */
const BLOCK_LOCK = { ttl: 10_000, step: 10 } as const;

/** Size of a Bloom filter for `capacity` members at a false-positive rate `falsePositives` percent. */
export interface BloomShape {
  /** Bits per block. */
  blockBits: number;
  /** Number of blocks, each stored under its own internal key. */
  blocks: number;
  /** Bit positions set per member. */
  hashes: number;
}

/**
 * The classic sizing, `m = -n ln p / ln² 2` bits and `k = m/n ln 2` hashes, rounded up to whole
 * blocks; throws `CacheConfigError` for a capacity that is not a positive integer or a rate outside (0, 100).
 * @example bloomShape(1000, 1) // { blockBits: 4096, blocks: 3, hashes: 7 }
 */
export function bloomShape(capacity: number, falsePositives: number, where = "bloom"): BloomShape {
  if (typeof capacity !== "number" || !Number.isSafeInteger(capacity) || capacity < 1) {
    throw configError(
      where,
      `\`capacity\` must be a positive integer, got ${capacity}`,
      "pass capacity: 100_000",
    );
  }
  if (typeof falsePositives !== "number" || !(falsePositives > 0 && falsePositives < 100)) {
    throw configError(
      where,
      `\`falsePositives\` must be in (0, 100), got ${falsePositives}`,
      "pass 1 for 1%",
    );
  }
  const bits = Math.ceil((-capacity * Math.log(falsePositives / 100)) / Math.LN2 ** 2);
  if (bits > MAX_BITS) {
    throw configError(
      where,
      `the filter needs ${bits} bits, over 2^32`,
      "lower capacity or raise falsePositives",
    );
  }
  const hashes = Math.max(1, Math.round((bits / capacity) * Math.LN2));
  const blockBits = Math.min(BLOCK_BITS, Math.ceil(bits / 8) * 8);
  return { blockBits, blocks: Math.ceil(bits / blockBits), hashes };
}

/**
 * The `hashes` bit positions (0 to `size - 1`) of `text`: two 32-bit hashes in one pass (FNV-1a and
 * a multiply-xorshift, each finished with murmur3's mixer) combined by enhanced double hashing.
 */
export function bloomPositions(text: string, hashes: number, size: number): number[] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  let x = mix(a) % size;
  let y = mix(b) % size;
  const out = new Array<number>(hashes);
  for (let i = 0; i < hashes; i++) {
    out[i] = x;
    x = (x + y) % size;
    y = (y + i + 1) % size;
  }
  return out;
}

function mix(h: number): number {
  let v = h ^ (h >>> 16);
  v = Math.imul(v, 0x85ebca6b);
  v ^= v >>> 13;
  v = Math.imul(v, 0xc2b2ae35);
  return (v ^ (v >>> 16)) >>> 0;
}

/**
 * A Bloom filter in front of a boolean function: `fn.set(...args)` marks arguments as present; a
 * call whose arguments the filter has never seen returns `false` without running the function,
 * any other call runs it and returns its result (a Bloom filter has false positives, never false
 * negatives). `capacity` members at `falsePositives` percent (`1` = 1%) size the filter; its bits
 * live in 512-byte blocks (`Uint8Array`) under internal keys, each updated holding its lock in the
 * backend (`cache.lock`, atomic where the backend's locks are), so processes sharing a backend keep
 * each other's marks; blocks never expire: keep them on a backend that does not evict, or marks
 * can be lost. The filter is
 * one per function (its `name`, else the function's), so `ttl`, `tags`, `condition`,
 * `timeCondition` and `lock` are refused; a filter cannot forget one member, so
 * `fn.invalidate(...)` returns `false` and `fn.clear()` empties it.
 * @example
 * const taken = cache.bloom({ capacity: 100_000, falsePositives: 1 })(async function isTaken(email: string) { … });
 * await taken.set("ada@example.com");
 */
export function bloom(
  cache: FeatureCache,
  // biome-ignore lint/suspicious/noExplicitAny: options are checked against the wrapped function's parameters when wrapped.
  options: StrategyOptions<any[]> & { capacity: number; falsePositives: number },
): StrategyDecorator<BloomExtras> {
  return adapt((fn, site) => {
    const plan = keyPlan(cache, fn, site, options, "bloom");
    const where = whereOf("bloom", options, site);
    for (const option of ["ttl", "tags", "condition", "timeCondition", "lock"] as const) {
      if (options[option] !== undefined)
        throw configError(where, `\`${option}\` has no meaning for a Bloom filter`, "remove it");
    }
    const filter = filterOf(cache, options, site, where);
    const body = async (key: string, thisArg: unknown, args: unknown[]) =>
      (await has(filter, key)) ? (await plan.execute(thisArg, args)).value : false;
    return {
      call: (thisArg, args) => plan.run(thisArg, args, body),
      extras: bloomExtras(plan, filter),
    };
  }) as StrategyDecorator<BloomExtras>;
}

/** One wrapped function's filter: its shape, and the prefix of its blocks' internal keys. */
interface Filter {
  readonly cache: FeatureCache;
  readonly shape: BloomShape;
  /** Bits in all blocks together. */
  readonly size: number;
  readonly base: string;
  /** The prefix of its blocks' lock keys (routed like the blocks). */
  readonly lockBase: string;
}

function filterOf(
  cache: FeatureCache,
  options: { capacity: number; falsePositives: number; name?: string; prefix?: string; key?: unknown },
  site: Site,
  where: string,
): Filter {
  const shape = bloomShape(options.capacity, options.falsePositives, where);
  const size = shape.blocks * shape.blockBits;
  const id = `${filterName(options, site, where)}:${shape.blocks}x${shape.blockBits}x${shape.hashes}:`;
  return { cache, shape, size, base: internalKey("bloom", id), lockBase: internalKey("bloom-lock", id) };
}

/** The bits of `key`, grouped by the block that holds them. */
function blocksOf(filter: Filter, key: string): Map<number, number[]> {
  const { shape } = filter;
  const byBlock = new Map<number, number[]>();
  for (const position of bloomPositions(key, shape.hashes, filter.size)) {
    const block = Math.floor(position / shape.blockBits);
    const bits = byBlock.get(block);
    if (bits === undefined) byBlock.set(block, [position % shape.blockBits]);
    else bits.push(position % shape.blockBits);
  }
  return byBlock;
}

async function has(filter: Filter, key: string): Promise<boolean> {
  const checks = [...blocksOf(filter, key)].map(async ([block, bits]) => {
    const stored = await filter.cache.read(filter.base + block);
    return (
      stored instanceof Uint8Array &&
      bits.every((bit) => ((stored[bit >>> 3] as number) & (1 << (bit & 7))) !== 0)
    );
  });
  return (await Promise.all(checks)).every(Boolean);
}

// A block is read, changed and written back: `exclusive` orders that within this process, and the
// block's lock in the backend across processes, whose writes would otherwise drop each other's bits.
function mark(filter: Filter, key: string): Promise<unknown> {
  const { cache, base, lockBase } = filter;
  const bytes = filter.shape.blockBits / 8;
  return Promise.all(
    [...blocksOf(filter, key)].map(([block, bits]) =>
      cache.exclusive(base + block, () =>
        holdingLock(cache, lockBase + block, () => setBits(cache, base + block, bits, bytes)),
      ),
    ),
  );
}

/**
 * `work` holding the lock `lockKey`; when the backend fails to give it, `work` alone, whose own
 * backend calls then fail as `suppress` says (a no-op by default) rather than the lock's error.
 */
async function holdingLock(cache: FeatureCache, lockKey: string, work: () => Promise<void>): Promise<void> {
  let started = false;
  try {
    await cache.lock(lockKey, BLOCK_LOCK, () => {
      started = true;
      return work();
    });
  } catch (error) {
    if (started || !(error instanceof CacheBackendError)) throw error;
    await work();
  }
}

function bloomExtras(plan: Plan, filter: Filter) {
  const cache = filter.cache;
  const common = plan.extras();
  return {
    ...common,
    async set(this: unknown, ...args: unknown[]): Promise<void> {
      if (!cache.isEnabled("set")) return;
      await mark(filter, await common.key.apply(this, args));
    },
    async clear(): Promise<void> {
      const keys = Array.from({ length: filter.shape.blocks }, (_, block) => filter.base + block);
      await outsideTransaction(cache, () => cache.deleteMany(keys));
    },
    invalidate: async () => false,
    async refresh(this: unknown, ...args: unknown[]) {
      return (await plan.execute(this, args)).value;
    },
  };
}

async function setBits(
  cache: FeatureCache,
  blockKey: string,
  bits: readonly number[],
  bytes: number,
): Promise<void> {
  const stored = await cache.read(blockKey);
  const block = stored instanceof Uint8Array && stored.length === bytes ? stored : new Uint8Array(bytes);
  let changed = block !== stored;
  for (const bit of bits) {
    const mask = 1 << (bit & 7);
    const at = bit >>> 3;
    if (((block[at] as number) & mask) !== 0) continue;
    block[at] = (block[at] as number) | mask;
    changed = true;
  }
  if (changed) await cache.write(blockKey, block, undefined, undefined);
}

/** The filter's identity: `name`, else the (class and) function name, else the key template. */
function filterName(options: { name?: string; prefix?: string; key?: unknown }, site: Site, where: string) {
  const prefix = options.prefix ? `${options.prefix}:` : "";
  if (options.name) return prefix + options.name;
  if (site.name) return prefix + (site.className ? `${site.className}.${site.name}` : site.name);
  if (typeof options.key === "string") return prefix + options.key;
  throw configError(
    where,
    "an anonymous function with a key function leaves the filter unnamed",
    'pass name: "…"',
  );
}
