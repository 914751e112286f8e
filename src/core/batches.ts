import { globToRegExp } from "../backends/_shared/glob";
import type { StatsCounter } from "../features/stats";
import type { Clock } from "./clock";
import { encodeRecord } from "./envelope";
import { CacheArgumentError, errorMessage } from "./errors";
import { assertKey, assertKeys, INTERNAL_PREFIX } from "./keys";
import { decodeValue, deleteLive, headerExpiry, MISS, writeValue } from "./records";
import type { Route } from "./route";
import type { Router } from "./router";
import { TieredBackend } from "./tiers";
import type { Backend } from "./types";

const SCAN_BATCH = 100;

/** What `setMany` takes: `[key, value]` pairs, or a record of values by key. */
export type ManyEntries = readonly (readonly [string, unknown])[] | Record<string, unknown>;

/**
 * `entries` as `[key, value]` pairs, each key checked. Throws `CacheArgumentError` for anything
 * else: a Map, a string or a list of non-pairs would store nothing, or stray keys, without a word.
 */
export function entryList(entries: ManyEntries): readonly (readonly [string, unknown])[] {
  let list: readonly (readonly [string, unknown])[] | undefined;
  if (Array.isArray(entries)) list = entries;
  else if (typeof entries === "object" && entries !== null && !(Symbol.iterator in entries))
    list = Object.entries(entries);
  if (list === undefined || !list.every((entry) => Array.isArray(entry) && entry.length === 2)) {
    const fix =
      entries instanceof Map ? "for a Map pass [...map]" : 'pass for example [["a", 1]] or { a: 1 }';
    throw new CacheArgumentError(
      errorMessage(undefined, "setMany() takes [key, value] pairs or a record", fix),
    );
  }
  for (const entry of list) assertKey(entry[0]);
  return list;
}

/** Commands over many keys, split by route and sent as batches where the backend has them. */
export class CacheBatches {
  readonly #router: Router;
  readonly #clock: Clock;
  readonly #stats: StatsCounter;
  /** Notes a hit for `detect` (`CacheKernel.recordHit`). */
  readonly #hit: (key: string, name: string, ttl: number | undefined, backend: string) => void;

  constructor(
    router: Router,
    clock: Clock,
    stats: StatsCounter,
    hit: (key: string, name: string, ttl: number | undefined, backend: string) => void,
  ) {
    this.#router = router;
    this.#clock = clock;
    this.#stats = stats;
    this.#hit = hit;
  }

  async getMany<T>(keys: readonly string[], defaultValue: T | undefined): Promise<(T | undefined)[]> {
    assertKeys(keys);
    const out = new Array<T | undefined>(keys.length).fill(defaultValue);
    const groups = this.#router.group(keys);
    await Promise.all(
      [...groups].map(async ([route, indexes]) => {
        const own = indexes.map((index) => keys[index] as string);
        const values = await route.run("getMany", own[0], [own, defaultValue], () =>
          this.#readMany(route, own),
        );
        for (let at = 0; at < indexes.length; at++) {
          const value = values[at];
          if (value === MISS) this.#stats.misses++;
          else {
            this.#stats.hits++;
            this.#hit(own[at] as string, "getMany", undefined, route.backend.name);
            out[indexes[at] as number] = value as T;
          }
        }
      }),
    );
    return out;
  }

  async #readMany(route: Route, keys: readonly string[]): Promise<unknown[]> {
    const texts = await route.call("getMany", keys[0], [] as (string | undefined)[], (backend) =>
      textsOf(backend, keys),
    );
    return Promise.all(
      keys.map((key, at) => {
        const text = texts[at];
        return text === undefined ? MISS : decodeValue(route, this.#clock, key, text);
      }),
    );
  }

  async setMany(entries: ManyEntries, ttl: number | undefined): Promise<void> {
    const list = entryList(entries);
    const groups = this.#router.group(list.map((entry) => entry[0]));
    await Promise.all(
      [...groups].map(([route, indexes]) => {
        const own = indexes.map((index) => list[index] as readonly [string, unknown]);
        return route.run("setMany", own[0]?.[0], [own, ttl], () => this.#writeMany(route, own, ttl));
      }),
    );
  }

  async #writeMany(
    route: Route,
    entries: readonly (readonly [string, unknown])[],
    ttl: number | undefined,
  ): Promise<void> {
    const backend = route.backend;
    if (backend.setMany === undefined || (ttl !== undefined && route.needsEnvelopeExpiry(ttl))) {
      await Promise.all(
        entries.map(([key, value]) => writeValue(route, this.#clock, key, value, ttl, undefined, undefined)),
      );
      return;
    }
    const encoded = entries.map(([key, value]) =>
      encodeRecord(route.codec, key, value, undefined, undefined),
    );
    const texts = encoded.every((text) => typeof text === "string")
      ? entries.map(([key], index) => [key, encoded[index] as string] as const)
      : Promise.all(encoded).then((all) =>
          entries.map(([key], index) => [key, all[index] as string] as const),
        );
    const keys = entries.map(([key]) => key);
    await route.callEncoded(
      "setMany",
      keys[0],
      texts,
      undefined,
      async (target, pairs) => {
        await target.setMany?.(pairs, route.nativeTtl(ttl));
      },
      keys,
    );
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    assertKeys(keys);
    const groups = this.#router.group(keys);
    const counts = await Promise.all(
      [...groups].map(([route, indexes]) => {
        const own = indexes.map((index) => keys[index] as string);
        return route.run("deleteMany", own[0], [own], () => this.#deleteCounted(route, own));
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /** Deletes `keys` of `route` and counts those that were live: where TTLs live in records, one `deleteLive` step per key. */
  async #deleteCounted(route: Route, keys: readonly string[]): Promise<number> {
    if (!route.envelopeExpiry) return this.#deleteOwn(route, keys);
    const results = await Promise.all(keys.map((key) => deleteLive(route, this.#clock, key)));
    return results.filter(Boolean).length;
  }

  #deleteOwn(route: Route, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return route.call(
      "deleteMany",
      keys[0],
      0,
      async (backend) => {
        if (backend.deleteMany !== undefined) return backend.deleteMany(keys);
        const results = await Promise.all(keys.map((key) => backend.delete(key)));
        return results.filter(Boolean).length;
      },
      keys,
    );
  }

  /** Keys matching `pattern` over every distinct backend, each key from the route that owns it. */
  async *scan(pattern: string): AsyncGenerator<string> {
    for (const route of this.#router.distinct()) {
      for await (const batch of this.#scanRoute(route, pattern)) yield* await this.#live(route, batch);
    }
  }

  /**
   * `keys` less those whose TTL, kept in the record where the backend expires nothing itself,
   * has ended: such a backend still lists them, while `get` and `exists` miss them. The records
   * are read from the tier that scans (the last), so a scan copies nothing into the tiers above.
   */
  async #live(route: Route, keys: string[]): Promise<string[]> {
    if (!route.envelopeExpiry || keys.length === 0) return keys;
    const backend = route.backend;
    const authority = backend instanceof TieredBackend ? (backend.tiers.at(-1) as Backend) : backend;
    const texts = await route.call("getMany", keys[0], [] as (string | undefined)[], () =>
      textsOf(authority, keys),
    );
    return keys.filter((_, at) => {
      const text = texts[at];
      return text !== undefined && headerExpiry(text, this.#clock) !== -2;
    });
  }

  async *#scanRoute(route: Route, pattern: string): AsyncGenerator<string[]> {
    if (!route.enabled) return;
    let batch: string[] = [];
    const hideInternal = !pattern.startsWith(INTERNAL_PREFIX);
    try {
      // Scans iterate the backend directly, outside `route.call`, so they wait for its init here.
      await route.bounded(route.ready(), "scan");
      // Stepped by hand so `timeout` bounds each step: a backend that stops answering mid-scan
      // must not hang the caller.
      const keys = route.backend.scan(pattern)[Symbol.asyncIterator]();
      let finished = false;
      try {
        for (;;) {
          const step = await route.bounded(keys.next(), "scan");
          if (step.done === true) break;
          const key = step.value;
          if (hideInternal && key.startsWith(INTERNAL_PREFIX)) continue;
          if (this.#router.route(key).backend !== route.backend) continue;
          batch.push(key);
          if (batch.length >= SCAN_BATCH) {
            yield batch;
            batch = [];
          }
        }
        finished = true;
      } finally {
        // A consumer that stopped early, or a step that failed, leaves the backend's scan open.
        if (!finished) keys.return?.()?.catch(() => undefined);
      }
    } catch (error) {
      route.fail(error, "scan", pattern, undefined);
    }
    if (batch.length > 0) yield batch;
  }

  async *getMatch<T>(pattern: string): AsyncGenerator<[string, T]> {
    for (const route of this.#router.distinct()) {
      for await (const keys of this.#scanRoute(route, pattern)) {
        const values = await this.#readMany(route, keys);
        for (let at = 0; at < keys.length; at++) {
          const value = values[at];
          if (value !== MISS) yield [keys[at] as string, value as T];
        }
      }
    }
  }

  async deleteMatch(pattern: string): Promise<number> {
    let deleted = 0;
    const glob = globToRegExp(pattern);
    for (const route of this.#router.distinct()) {
      // Loads in flight for matching keys must not store after this, even where nothing is stored yet.
      route.staleLoads((key) => glob.test(key));
      // One command per backend for its middlewares, whatever number of scans and deletes it takes.
      deleted += await route.run("deleteMatch", pattern, [pattern], async () => {
        const keys: string[] = [];
        for await (const batch of this.#scanRoute(route, pattern)) keys.push(...batch);
        let count = 0;
        for (let start = 0; start < keys.length; start += 500) {
          const chunk = keys.slice(start, start + 500);
          // Expired records go too, but only live keys count, as `delete` of an expired key would say.
          const live = await this.#live(route, chunk);
          const deleted = await this.#deleteOwn(route, chunk);
          count += route.envelopeExpiry ? live.length : deleted;
        }
        return count;
      });
    }
    return deleted;
  }
}

/** The stored texts of `keys` on `backend`, in one batch where it has one. */
function textsOf(backend: Backend, keys: readonly string[]): Promise<(string | undefined)[]> {
  return backend.getMany !== undefined
    ? backend.getMany(keys)
    : Promise.all(keys.map((key) => backend.get(key)));
}
