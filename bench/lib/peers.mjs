// The peers' get-or-load calls, each set up the way its documentation shows, over memory or over
// one Redis. Every factory returns { getOrLoad(key, loader), close() }; `loader(key)` returns a
// promise of the value. Modes: "reference" serves the stored object, "copying" a fresh copy.
// ioredis is imported only where a Redis is used: merely loading it slows every await in the
// process (measured here: await of a resolved value 250 ns -> 400 ns), which would tax the
// memory hit path of whichever library shares the process.
async function ioredis(url) {
  const { Redis } = await import("ioredis");
  return new Redis(url);
}

const HOUR_MS = 3_600_000;

/** Memory peers for the hit path: name, mode, factory. */
export function memoryPeers() {
  return [
    { name: "bentocache", mode: "reference", make: () => bento({ serialize: false }) },
    { name: "bentocache", mode: "copying", make: () => bento({ serialize: true }) },
    { name: "cache-manager", mode: "reference", make: () => cacheManager() },
    { name: "cache-manager", mode: "copying", make: () => cacheManager({ copy: true }) },
    { name: "cacheable", mode: "reference", make: () => cacheable({ useClone: false }) },
    { name: "cacheable", mode: "copying", make: () => cacheable({ useClone: true }) },
    { name: "@epic-web/cachified", mode: "reference", make: () => cachified() },
    { name: "async-cache-dedupe", mode: "reference", make: () => dedupe() },
    { name: "@unkey/cache", mode: "reference", make: () => unkey() },
  ];
}

/** Redis-backed peers (Redis alone, or a memory tier in front): name, tiers, factory(redisUrl). */
export function redisPeers() {
  return [
    { name: "bentocache", make: (url, tiered) => bento({ serialize: true, redisUrl: url, tiered }) },
    { name: "cache-manager", make: (url, tiered) => cacheManager({ redisUrl: url, tiered }) },
    { name: "cacheable", make: (url, tiered) => cacheable({ useClone: true, redisUrl: url, tiered }) },
    { name: "async-cache-dedupe", make: (url, tiered) => (tiered ? undefined : dedupe({ redisUrl: url })) },
  ];
}

async function bento({ serialize, redisUrl, tiered = true }) {
  const { BentoCache, bentostore } = await import("bentocache");
  const { memoryDriver } = await import("bentocache/drivers/memory");
  let store = bentostore();
  if (redisUrl === undefined || tiered)
    store = store.useL1Layer(memoryDriver({ maxItems: 200_000, serialize }));
  let connection;
  if (redisUrl !== undefined) {
    const { redisDriver } = await import("bentocache/drivers/redis");
    connection = await ioredis(redisUrl);
    store = store.useL2Layer(redisDriver({ connection }));
  }
  const cache = new BentoCache({ default: "main", stores: { main: store } });
  return {
    getOrLoad: (key, loader) => cache.getOrSet({ key, factory: () => loader(key), ttl: HOUR_MS }),
    async close() {
      await cache.disconnectAll();
      connection?.disconnect();
    },
  };
}

async function cacheManager({ copy = false, redisUrl, tiered = true } = {}) {
  const { createCache } = await import("cache-manager");
  const { Keyv } = await import("keyv");
  const stores = [];
  if (redisUrl === undefined || tiered) {
    // Keyv serializes by default (a copy per read); without a serializer it keeps the object.
    stores.push(copy ? new Keyv() : new Keyv({ serialize: undefined, deserialize: undefined }));
  }
  let redis;
  if (redisUrl !== undefined) {
    const { default: KeyvRedis } = await import("@keyv/redis");
    redis = new KeyvRedis(redisUrl);
    stores.push(new Keyv({ store: redis }));
  }
  const cache = createCache({ stores, ttl: HOUR_MS });
  return {
    getOrLoad: (key, loader) => cache.wrap(key, () => loader(key), HOUR_MS),
    async close() {
      await cache.disconnect().catch(() => undefined);
    },
  };
}

async function cacheable({ useClone, redisUrl, tiered = true }) {
  const { Cacheable, CacheableMemory } = await import("cacheable");
  const { Keyv } = await import("keyv");
  const options = { ttl: HOUR_MS };
  if (redisUrl === undefined || tiered) {
    // The default primary (Keyv over CacheableMemory) serializes and clones; reference mode
    // turns both off.
    const store = new CacheableMemory({ useClone, lruSize: 200_000 });
    options.primary = useClone
      ? new Keyv({ store })
      : new Keyv({ store, serialize: undefined, deserialize: undefined });
  }
  if (redisUrl !== undefined) {
    const { default: KeyvRedis } = await import("@keyv/redis");
    const secondary = new Keyv({ store: new KeyvRedis(redisUrl) });
    if (tiered) options.secondary = secondary;
    else options.primary = secondary;
  }
  const cache = new Cacheable(options);
  return {
    getOrLoad: (key, loader) => cache.getOrSet(key, () => loader(key), { ttl: HOUR_MS }),
    async close() {
      await cache.disconnect().catch(() => undefined);
    },
  };
}

async function cachified() {
  const { cachified: run } = await import("@epic-web/cachified");
  const { LRUCache } = await import("lru-cache");
  const lru = new LRUCache({ max: 200_000 });
  return {
    getOrLoad: (key, loader) => run({ key, cache: lru, getFreshValue: () => loader(key), ttl: HOUR_MS }),
    async close() {},
  };
}

async function dedupe({ redisUrl } = {}) {
  const { createCache } = await import("async-cache-dedupe");
  let client;
  let storage = { type: "memory", options: { size: 200_000 } };
  if (redisUrl !== undefined) {
    client = await ioredis(redisUrl);
    storage = { type: "redis", options: { client } };
  }
  const cache = createCache({ ttl: 3600, storage });
  let current;
  // define() fixes the function once; the benchmark's loader is read through a closure.
  cache.define("load", { serialize: (key) => key }, (key) => current(key));
  return {
    getOrLoad: (key, loader) => {
      current = loader;
      return cache.load(key);
    },
    async close() {
      client?.disconnect();
    },
  };
}

async function unkey() {
  const { createCache, DefaultStatefulContext, Namespace } = await import("@unkey/cache");
  const { MemoryStore } = await import("@unkey/cache/stores");
  const ctx = new DefaultStatefulContext();
  const memory = new MemoryStore({ persistentMap: new Map() });
  const cache = createCache({
    item: new Namespace(ctx, { stores: [memory], fresh: HOUR_MS, stale: 2 * HOUR_MS }),
  });
  return {
    getOrLoad: async (key, loader) => {
      const result = await cache.item.swr(key, () => loader(key));
      if (result.err) throw result.err;
      return result.val;
    },
    async close() {},
  };
}

// The HTTP Redis economy peers, each over `@upstash/redis` against the gateway. Neither has
// tags, so the tag rows are what a user writes by hand with each library's documented calls: an
// index (a list of keys) under a tag key, read-modify-write on each tagged set (one writer at a
// time: concurrent writers would lose entries), then a read of the index and a delete of its keys.

/** @unkey/cache with its Upstash store alone (no memory tier), so every call reaches Redis. */
export async function unkeyHttp(url, token, value) {
  const { Redis } = await import("@upstash/redis");
  const { createCache, DefaultStatefulContext, Namespace } = await import("@unkey/cache");
  const { UpstashRedisStore } = await import("@unkey/cache/stores");
  const store = new UpstashRedisStore({ redis: new Redis({ url, token, enableTelemetry: false }) });
  const ctx = new DefaultStatefulContext();
  const spec = { stores: [store], fresh: HOUR_MS, stale: 2 * HOUR_MS };
  const cache = createCache({ item: new Namespace(ctx, spec) });
  const unwrap = (result) => {
    if (result.err) throw result.err;
    return result.val;
  };
  return {
    getOrLoad: async (key) => unwrap(await cache.item.swr(key, async () => value(key))),
    get: async (key) => unwrap(await cache.item.get(key)),
    async setTagged(key, data, tag) {
      unwrap(await cache.item.set(key, data));
      const listed = unwrap(await cache.item.get(`tag:${tag}`)) ?? [];
      if (!listed.includes(key)) unwrap(await cache.item.set(`tag:${tag}`, [...listed, key]));
    },
    async deleteTag(tag) {
      const listed = unwrap(await cache.item.get(`tag:${tag}`)) ?? [];
      // remove() takes a list, so the keys and the index go in one DEL.
      unwrap(await cache.item.remove([...listed, `tag:${tag}`]));
      return listed.length;
    },
    async close() {},
  };
}

/** unstorage's upstash driver: no get-or-load, so a miss is getItem then setItem. */
export async function unstorageHttp(url, token, value) {
  const { createStorage } = await import("unstorage");
  const { default: upstashDriver } = await import("unstorage/drivers/upstash");
  const storage = createStorage({ driver: upstashDriver({ url, token, base: "unstorage" }) });
  const ttl = 3600;
  return {
    async getOrLoad(key) {
      const hit = await storage.getItem(key);
      if (hit !== null) return hit;
      const fresh = value(key);
      await storage.setItem(key, fresh, { ttl });
      return fresh;
    },
    get: async (key) => (await storage.getItem(key)) ?? undefined,
    async setTagged(key, data, tag) {
      await storage.setItem(key, data, { ttl });
      const listed = (await storage.getItem(`tags:${tag}`)) ?? [];
      if (!listed.includes(key)) await storage.setItem(`tags:${tag}`, [...listed, key], { ttl });
    },
    async deleteTag(tag) {
      const listed = (await storage.getItem(`tags:${tag}`)) ?? [];
      // removeItem takes one key; issued together, the client's auto-pipelining folds them.
      await Promise.all([...listed, `tags:${tag}`].map((key) => storage.removeItem(key)));
      return listed.length;
    },
    close: () => storage.dispose(),
  };
}
