// Writes bench/RESULTS.md (machine, versions, targets, one section per workload) and the SVG
// charts the workloads drew into bench/charts/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

const PACKAGES = [
  "lru-cache",
  "bentocache",
  "cache-manager",
  "keyv",
  "@keyv/redis",
  "cacheable",
  "@epic-web/cachified",
  "async-cache-dedupe",
  "@unkey/cache",
  "unstorage",
  "@upstash/redis",
  "hono",
  "@hono/node-server",
  "ioredis",
  "redis",
  "mitata",
  "esbuild",
];

function version(root, name) {
  try {
    return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "not installed";
  }
}

function table({ title, columns, rows }) {
  const lines = [];
  if (title) lines.push(`**${title}**`, "");
  lines.push(`| ${columns.join(" | ")} |`, `| ${columns.map(() => "---").join(" | ")} |`);
  for (const row of rows)
    lines.push(`| ${row.map((cell) => String(cell).replace(/\|/g, "\\|")).join(" | ")} |`);
  return lines.join("\n");
}

const mark = (met) => (met === true ? "met" : met === false ? "**missed**" : "not measured");

/** Writes the report and charts; returns the report's path. */
export function writeReport(root, results, run) {
  const charts = join(root, "bench", "charts");
  mkdirSync(charts, { recursive: true });
  const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: root,
    encoding: "utf8",
  }).stdout.trim();
  const iso = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const cpus = os.cpus();
  const out = [
    "# isocache benchmarks",
    "",
    "Written by `npm run bench` (bench/run.mjs); every figure below comes from that run. Ratios are",
    "taken within the run, so they hold better than the absolute times on a shared machine.",
    run.partial ? "\n**Partial run** (`--only`): some workloads were not run.\n" : "",
    "## Machine and versions",
    "",
    `- ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; redis-server ${run.redis ?? "not installed"}; isocache ${iso} at ${git}`,
    `- load average (1/5/15 min) ${run.load.before.map((l) => l.toFixed(1)).join("/")} before, ${run.load.after.map((l) => l.toFixed(1)).join("/")} after — the machine is shared, so other work can slow any row`,
    `- ${run.quick ? "quick run (--quick: fewer rounds)" : "default run"}, ${run.seconds.toFixed(0)} s in all`,
    `- ${PACKAGES.map((name) => `${name} ${version(root, name)}`).join(", ")}`,
    "",
    "## Targets",
    "",
  ];
  const targetRows = [];
  for (const result of results) {
    for (const target of result.targets ?? [])
      targetRows.push([result.title, target.text, mark(target.met), target.detail ?? ""]);
    if (result.error) targetRows.push([result.title, "(workload)", "not measured", result.error]);
  }
  out.push(table({ columns: ["workload", "target", "result", "measured"], rows: targetRows }), "");
  for (const result of results) {
    out.push(`## ${result.title}`, "");
    if (result.error) {
      out.push(`Not measured: ${result.error}.`, "");
      continue;
    }
    if (result.description) out.push(result.description, "");
    for (const t of result.tables ?? []) out.push(table(t), "");
    for (const chart of result.charts ?? []) {
      writeFileSync(join(charts, chart.file), chart.svg);
      out.push(`![${result.title}](charts/${chart.file})`, "");
    }
    for (const note of result.notes ?? []) out.push(`- ${note}`);
    if (result.notes?.length) out.push("");
    if (result.seconds !== undefined) out.push(`<sub>${result.seconds.toFixed(0)} s</sub>`, "");
  }
  const history = join(root, "bench", "before-after.md");
  if (existsSync(history)) out.push(readFileSync(history, "utf8"));
  const file = join(root, "bench", "RESULTS.md");
  writeFileSync(file, `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`);
  return file;
}
