// A dedicated Web Worker for idb-worker.test.ts: it runs the browser entry with the idb:// scheme
// on the worker's own IndexedDB and answers the page's commands. Messages are
// { id, op, db, args }; answers are { id, value } or { id, error: { name, message } }.
import * as lib from "../../../runtimes/browser";
import { idb } from "../../../src/backends/idb";

lib.registerScheme(idb);

interface Request {
  id: number;
  op: string;
  db: string;
  args: unknown[];
}

const caches = new Map<string, lib.Cache>();

/** One strict cache per database, so a failure reaches the page instead of a suppressed miss. */
function cacheFor(db: string): lib.Cache {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new lib.Cache().setup(`idb://${db}/kv`, { suppress: false });
    caches.set(db, cache);
  }
  return cache;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

type Op = (cache: lib.Cache, args: unknown[]) => Promise<unknown>;
const OPS: Record<string, Op> = {
  set: (c, [key, value, ttl]) => c.set(key as string, value, ttl === undefined ? {} : { ttl: ttl as number }),
  get: (c, [key]) => c.get(key as string, null),
  exists: (c, [key]) => c.exists(key as string),
  getExpire: (c, [key]) => c.getExpire(key as string),
  delete: (c, [key]) => c.delete(key as string),
  incr: (c, [key, by]) => c.incr(key as string, by as number),
  setLock: (c, [key, token, ttl]) => c.setLock(key as string, token as string, ttl as number),
  scan: (c, [pattern]) => collect(c.scan(pattern as string)),
  count: (c) => c.getKeysCount(),
  clear: (c) => c.clear(),
  close: async (c) => {
    await c.close();
    for (const [db, cache] of caches) if (cache === c) caches.delete(db);
  },
  where: async () => ({
    window: typeof (globalThis as { window?: unknown }).window,
    importScripts: typeof (globalThis as { importScripts?: unknown }).importScripts,
    runtime: lib.runtime,
  }),
};

self.onmessage = async (event: MessageEvent<Request>) => {
  const { id, op, db, args } = event.data;
  try {
    const run = OPS[op];
    if (run === undefined) throw new Error(`idb-worker: no op "${op}"`);
    self.postMessage({ id, value: await run(cacheFor(db), args) });
  } catch (caught) {
    const error = caught as { name?: unknown; message?: unknown };
    self.postMessage({ id, error: { name: String(error?.name), message: String(error?.message) } });
  }
};
