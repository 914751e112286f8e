// A custom backend as a user might write one over a plain Map: `nativeTtl: false`, so the core
// keeps every TTL in the record's header and the backend holds expired records until rewritten.
import { globToRegExp } from "../../src/backends/_shared/glob";
import { CacheValueError } from "../../src/core/errors";
import type { Backend } from "../../src/core/types";

/** A `nativeTtl: false` backend over `map`, with no optional methods unless `many` adds `deleteMany`. */
export function mapBackend({ many = false } = {}): Backend & { readonly map: Map<string, string> } {
  const map = new Map<string, string>();
  const backend: Backend & { readonly map: Map<string, string> } = {
    name: "map",
    capabilities: { nativeTtl: false, minTtlMs: 0, maxKeyBytes: 0, atomic: false, consistency: "strong" },
    map,
    get: async (key) => map.get(key),
    set: async (key, value, options) => {
      if (options?.exist !== undefined && map.has(key) !== options.exist) return false;
      map.set(key, value);
      return true;
    },
    delete: async (key) => map.delete(key),
    exists: async (key) => map.has(key),
    async *scan(pattern) {
      const glob = globToRegExp(pattern);
      for (const key of [...map.keys()]) if (glob.test(key)) yield key;
    },
    incr: async (key, by) => {
      const text = map.get(key) ?? "0";
      if (!/^-?\d+$/.test(text)) throw new CacheValueError(`${key} holds no integer`);
      const next = Number(text) + by;
      if (!Number.isSafeInteger(next)) throw new CacheValueError(`${key} would leave the safe integer range`);
      map.set(key, String(next));
      return next;
    },
    expire: async (key) => map.has(key),
    getExpire: async (key) => (map.has(key) ? -1 : -2),
    clear: async () => map.clear(),
    count: async () => map.size,
    ping: async (message) => message ?? "PONG",
  };
  if (many) backend.deleteMany = async (keys) => keys.filter((key) => map.delete(key)).length;
  return backend;
}
