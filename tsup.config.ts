import { defineConfig } from "tsup";

// One build with code splitting: the core and the error classes exist once across all entries,
// so `instanceof` holds whichever runtime entry or subpath a program imports.
export default defineConfig({
  entry: {
    "runtimes/node": "runtimes/node.ts",
    "runtimes/bun": "runtimes/bun.ts",
    "runtimes/deno": "runtimes/deno.ts",
    "runtimes/workerd": "runtimes/workerd.ts",
    "runtimes/browser": "runtimes/browser.ts",
    "runtimes/default": "runtimes/default.ts",
    "backends/cloudflare-kv": "src/backends/cloudflare-kv.ts",
    "backends/idb": "src/backends/idb.ts",
    "hono/index": "src/hono/index.ts",
    "backends/fs": "src/backends/fs.ts",
    "backends/unstorage": "src/backends/unstorage.ts",
    "backends/upstash": "src/backends/upstash.ts",
    "backends/upstash.workerd": "src/backends/upstash.workerd.ts",
    "backends/redis": "src/backends/redis.ts",
  },
  format: ["esm"],
  target: "es2022",
  platform: "neutral",
  splitting: true,
  treeshake: true,
  dts: true,
  clean: true,
  sourcemap: false,
  minify: false,
  outDir: "dist",
  external: [/^node:/],
  // tsup strips `node:` by default; Deno outside node_modules and bundlers given --external:node:* need it.
  removeNodeProtocol: false,
});
