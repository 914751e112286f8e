// `npm run example:worker`: serves the worker named by the root wrangler.toml in miniflare
// (workerd), with its compatibility settings and KV bindings, on loopback, and prints the URL.
// This is what `wrangler dev` does; the wrangler here needs Node 22, miniflare runs on Node 20.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const config = readWranglerToml(join(root, "wrangler.toml"));

// Bundle as wrangler does: the `workerd` export condition picks isocache's Workers entry.
const bundle = await build({
  absWorkingDir: root,
  entryPoints: [config.main],
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  conditions: ["workerd", "worker", "browser"],
  external: ["node:*"],
  logLevel: "warning",
});

const host = process.env.HOST ?? "127.0.0.1";
// Like `wrangler dev`: local KV data persists under .wrangler/state (or --persist-to <dir>).
const flag = process.argv.indexOf("--persist-to");
const persistTo = join(flag > 0 ? process.argv[flag + 1] : join(root, ".wrangler", "state"), "v3");
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script: bundle.outputFiles[0].text,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    kvNamespaces: config.kv_namespaces.map((namespace) => namespace.binding),
    resourcePersistencePath: persistTo,
    host,
    port: Number(process.env.PORT ?? 8787),
  }),
);
const url = await mf.ready;
console.log(
  `isocache example on workerd (${config.name}, KV: ${config.kv_namespaces.map((n) => n.binding).join(", ") || "none"}) listening on ${url.origin}`,
);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await mf.dispose();
    process.exit(0);
  });
}

/** Reads the few wrangler.toml keys used here: top-level `key = value` and `[[kv_namespaces]]` tables. */
function readWranglerToml(file) {
  const config = { kv_namespaces: [] };
  let table = config;
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "[[kv_namespaces]]") {
      table = {};
      config.kv_namespaces.push(table);
    }
    const match = /^(\w+)\s*=\s*(.+)$/.exec(line);
    if (match) table[match[1]] = JSON.parse(match[2]);
  }
  return config;
}
