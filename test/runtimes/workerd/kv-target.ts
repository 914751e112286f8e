// Suite targets on the real Workers KV of miniflare (binding CACHE). The plugin isolates KV per
// test file, not per test, so each storage the suite asks for is its own `base` in CACHE, and
// cleanup empties every base handed out.
import { env } from "cloudflare:workers";
import { cloudflareKvBackend } from "../../../src/backends/cloudflare-kv";

/** Fresh storages on the CACHE binding: `url` gives `kv://CACHE?base=…`, `object` gives `{ kv, base }`. */
export function kvStorages(form: "url" | "object") {
  let next = 0;
  let bases: string[] = [];
  return {
    minTtlMs: 60_000,
    // See StrategySuiteTarget.bulkTagKeys: KV rewrites the tag index once per tagged key.
    bulkTagKeys: 300,
    create(): unknown {
      const base = `s${next++}:`;
      bases.push(base);
      return form === "url" ? `kv://CACHE?base=${encodeURIComponent(base)}` : { kv: env.CACHE, base };
    },
    async cleanup(): Promise<void> {
      const used = bases;
      bases = [];
      await Promise.all(used.map((base) => cloudflareKvBackend({ namespace: env.CACHE, base }).clear()));
    },
  };
}
