// Size: esbuild bundles (minified, then gzip level 9) of a program that imports `cache` from
// "isocache" and wraps one function with cached(), for the workerd and browser conditions; and
// of each subpath export, with its client package left out (external).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import ts from "typescript";
import { barChart } from "../lib/svg.mjs";

const LIMIT_WORKERD = 12 * 1024;
const CLIENTS = [
  "@upstash/redis",
  "@upstash/redis/cloudflare",
  "redis",
  "idb-keyval",
  "unstorage",
  "hono",
  "ioredis",
];
const ENTRY = `import { cache } from "isocache";
export const getUser = cache.cached({ ttl: "1h", key: "user:{id}" })(async function getUser(id) {
  return { id };
});`;

async function bundle(root, contents, conditions, platform) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    conditions,
    external: ["node:*", ...CLIENTS, ...CLIENTS.map((c) => `${c}/*`)],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const byPart = {};
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, info] of Object.entries(output.inputs))
      byPart[part(path)] = (byPart[part(path)] ?? 0) + info.bytesInOutput;
  }
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length, byPart, code };
}

/**
 * How much of a minified bundle is string and template literal text (error messages, Lua
 * scripts, key templates): its bytes, and the gzip size of the bundle with every literal
 * emptied, which is what the code alone would weigh. Literals are found by parsing the bundle.
 */
function literalShare(code) {
  const text = Buffer.from(code).toString("utf8");
  const file = ts.createSourceFile("bundle.js", text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const spans = [];
  const visit = (node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      spans.push([node.getStart(file) + 1, node.end - 1]);
      return;
    }
    if (ts.isTemplateExpression(node)) {
      const parts = [node.head, ...node.templateSpans.map((span) => span.literal)];
      // Each part's text sits between its delimiters (` or }, and ${ or `).
      for (const part of parts) {
        const start = part.getStart(file) + 1;
        const end = ts.isTemplateTail(part) ? part.end - 1 : part.end - 2;
        spans.push([start, end]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  spans.sort((a, b) => a[0] - b[0]);
  let literal = 0;
  let emptied = "";
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at || end < start) continue;
    literal += Buffer.byteLength(text.slice(start, end));
    emptied += text.slice(at, start);
    at = end;
  }
  emptied += text.slice(at);
  return { literal, emptiedGzip: gzipSync(emptied, { level: 9 }).length };
}

/** Which part of the package a bundled source file belongs to: `src/core`, `src/strategies`, ... */
function part(path) {
  const match = /(src\/[^/]+|runtimes)\//.exec(path);
  return match ? match[1] : path.startsWith("<stdin>") ? "the program" : "other";
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

export default async function run({ root }) {
  const entries = [
    {
      label: 'workerd: `import { cache } from "isocache"` + one cached()',
      conditions: ["workerd", "worker"],
      platform: "neutral",
    },
    {
      label: 'browser: `import { cache } from "isocache"` + one cached()',
      conditions: ["browser"],
      platform: "browser",
    },
  ];
  const rows = [];
  const sizes = {};
  for (const e of entries) {
    const s = await bundle(root, ENTRY, e.conditions, e.platform);
    sizes[e.conditions[0]] = s;
    rows.push([e.label, kb(s.min), `**${kb(s.gzip)}**`]);
  }
  const exports = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports;
  const subpaths = Object.keys(exports).filter((p) => p !== "." && p !== "./package.json");
  const subRows = [];
  for (const sub of subpaths) {
    const name = `isocache${sub.slice(1)}`;
    for (const [cond, platform] of [
      [["workerd", "worker"], "neutral"],
      [["browser"], "browser"],
      [["node"], "node"],
    ]) {
      try {
        const s = await bundle(root, `export * from "${name}";`, cond, platform);
        subRows.push([`\`${name}\``, cond[0], kb(s.min), kb(s.gzip)]);
      } catch (error) {
        subRows.push([
          `\`${name}\``,
          cond[0],
          "does not bundle",
          String(error.message ?? error)
            .split("\n")[0]
            .slice(0, 80),
        ]);
      }
    }
  }
  if (subRows.length === 0)
    subRows.push(["(none yet)", "—", "this build exports no subpath besides the root", "—"]);
  // Where the bytes go: the same program bundled from the TypeScript sources, per source folder.
  const fromSource = await bundle(
    root,
    ENTRY.replace('"isocache"', '"./runtimes/workerd.ts"'),
    ["workerd", "worker"],
    "neutral",
  );
  const partRows = Object.entries(fromSource.byPart)
    .sort((a, b) => b[1] - a[1])
    .map(([name, bytes]) => [name, kb(bytes), `${((100 * bytes) / fromSource.min).toFixed(0)}%`]);
  const w = sizes.workerd;
  const literals = literalShare(w.code);
  const literalRows = [
    [
      "string and template literals (messages, scripts, templates)",
      kb(literals.literal),
      `${((100 * literals.literal) / w.min).toFixed(0)}%`,
      "—",
    ],
    [
      "the bundle with every literal emptied (the code alone)",
      kb(w.min - literals.literal),
      `${((100 * (w.min - literals.literal)) / w.min).toFixed(0)}%`,
      `**${kb(literals.emptiedGzip)}**`,
    ],
  ];
  return {
    id: "size",
    title: "Size",
    description: `esbuild bundles, minified, then gzip at level 9, of the program below; node:* and the backend clients (${CLIENTS.join(", ")}) are external, so each row is isocache's own weight.\n\n\`\`\`js\n${ENTRY}\n\`\`\``,
    tables: [
      { title: "The root entry plus one cached()", columns: ["bundle", "minified", "min + gzip"], rows },
      {
        title: "Where the workerd bundle's bytes go (minified, by source folder)",
        columns: ["folder", "minified", "share"],
        rows: partRows,
      },
      {
        title: "Text and code in the workerd bundle",
        columns: ["part", "minified", "share", "min + gzip"],
        rows: literalRows,
      },
      {
        title: "Each subpath, client excluded",
        columns: ["subpath", "condition", "minified", "min + gzip"],
        rows: subRows,
      },
    ],
    charts: [
      {
        file: "size.svg",
        svg: barChart({
          title: "Bundle size, minified + gzip",
          subtitle: "the root entry plus one cached(); lower is better",
          bars: Object.entries(sizes).map(([cond, s]) => ({
            label: cond,
            value: s.gzip,
            text: kb(s.gzip),
            highlight: true,
          })),
        }),
      },
    ],
    targets: [
      {
        text: "the workerd entry at most 12 KB (min + gzip)",
        met: w.gzip <= LIMIT_WORKERD,
        detail:
          w.gzip <= LIMIT_WORKERD
            ? kb(w.gzip)
            : `${kb(w.gzip)}: \`cache\` carries every strategy and feature as its own method (SPEC §5: each strategy is a factory on the cache), and a bundler cannot drop an unused method of a class, so the root entry weighs the whole feature set; with every string literal emptied the code alone is ${kb(literals.emptiedGzip)}; see "Where the workerd bundle's bytes go"`,
      },
    ],
  };
}
