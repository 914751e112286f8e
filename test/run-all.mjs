#!/usr/bin/env node
// `npm test`: build, then run every runtime's vitest project on its own runtime, then the package
// and smoke tests on the built output; sum the JSON reports, print a line per runner and then
// `N passed, N failed` as the very last line. Exits non-zero when a test failed, a runner crashed
// or a report is missing.
//
//   npm test                          everything
//   npm test -- --only node,bun       only these runners (node bun deno workers browser types package smoke examples)
//   npm test -- --skip-build          reuse dist/ (package and smoke tests read it)
//
// Outside CI a runner whose Debian package is missing (chromium) is skipped with one line saying
// how to install it; with CI=true that is a failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { hasSystemPackage, isCI, missingPackageMessage } from "./support/system.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUTPUT = join(ROOT, "test", ".output");
const BIN = join(ROOT, "node_modules", ".bin");
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
// A runner past this is hung, not slow: the slowest (node, under load) takes about 3 minutes.
const RUNNER_TIMEOUT_MS = 10 * 60_000;

/** Each runner: the command that starts vitest on the right runtime, and what it needs. */
const RUNNERS = [
  { name: "node", command: [process.execPath, VITEST] },
  // `--bun` makes Bun run vitest itself (and its workers) instead of deferring to node.
  { name: "bun", command: [join(BIN, "bun"), "--bun", VITEST] },
  // DENO_DIR keeps Deno's cache in the project; never `--node-modules-dir=auto` here.
  { name: "deno", command: [join(BIN, "deno"), "run", "-A", VITEST], env: { DENO_DIR: join(ROOT, ".deno") } },
  { name: "workers", command: [process.execPath, VITEST] },
  { name: "browser", command: [process.execPath, VITEST], requires: "chromium" },
  { name: "types", command: [process.execPath, VITEST] },
  { name: "package", command: [process.execPath, VITEST], needsBuild: true },
  { name: "smoke", command: [process.execPath, VITEST], needsBuild: true },
  { name: "examples", command: [process.execPath, VITEST], needsBuild: true },
];

function parseArgs(argv) {
  const options = { only: undefined, build: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--only") options.only = (argv[++i] ?? "").split(",");
    else if (arg.startsWith("--only=")) options.only = arg.slice(7).split(",");
    else if (arg === "--skip-build") options.build = false;
    else throw new Error(`unknown option ${arg} (use --only a,b or --skip-build)`);
  }
  const unknown = (options.only ?? []).filter((n) => !RUNNERS.some((r) => r.name === n));
  if (unknown.length) throw new Error(`unknown runner ${unknown.join(", ")}: ${RUNNERS.map((r) => r.name)}`);
  return options;
}

/** Runs a command with inherited output in its own process group; resolves its exit code. */
function exec(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: { WRANGLER_SEND_METRICS: "false", DENO_NO_UPDATE_CHECK: "1", ...process.env, ...env },
    });
    const stop = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    };
    const timer = setTimeout(() => {
      console.error(`\n${command} ${args.join(" ")}: timed out after ${RUNNER_TIMEOUT_MS / 1000}s`);
      stop();
    }, RUNNER_TIMEOUT_MS);
    const abort = () => {
      stop();
      process.exit(130);
    };
    process.once("SIGINT", abort).once("SIGTERM", abort);
    child.on("error", (error) => {
      console.error(`cannot start ${command}: ${error.message}`);
      clearTimeout(timer);
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", abort).off("SIGTERM", abort);
      // A runner's leftovers (workerd, Chromium) must not outlive it.
      stop();
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** Counts from a vitest JSON report; a file that failed to load counts as one failed test. */
function countReport(file) {
  const report = JSON.parse(readFileSync(file, "utf8"));
  let failed = report.numFailedTests ?? 0;
  const broken = [];
  const failures = [];
  for (const result of report.testResults ?? []) {
    const failedTests = (result.assertionResults ?? []).filter((a) => a.status === "failed");
    for (const a of failedTests) {
      let reason = (a.failureMessages?.[0] ?? "").split("\n")[0].slice(0, 300);
      // vitest reports its own test timeout with this placeholder as the stack's first line.
      if (reason === "Error: STACK_TRACE_ERROR")
        reason = `timed out after ${Math.round(a.duration ?? 0)} ms (vitest's test timeout)`;
      failures.push(`${relative(ROOT, result.name)} > ${a.fullName ?? a.title}: ${reason}`);
    }
    const failedInFile = failedTests.length;
    if (result.status === "failed" && failedInFile === 0) {
      failed += 1;
      broken.push(`${result.name}: ${(result.message ?? "failed to run").split("\n")[0]}`);
    }
  }
  return {
    passed: report.numPassedTests ?? 0,
    failed,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    broken,
    failures,
  };
}

async function runRunner(runner, builtOk) {
  const started = Date.now();
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  if (runner.needsBuild && !builtOk)
    return { passed: 0, failed: 1, skipped: 0, note: "not run: build failed" };
  if (runner.requires && !hasSystemPackage(runner.requires)) {
    const message = missingPackageMessage(runner.requires);
    console.log(`\n${message}`);
    if (isCI) return { passed: 0, failed: 1, skipped: 0, note: `${runner.requires} not installed` };
    return { passed: 0, failed: 0, skipped: 0, note: `skipped: ${runner.requires} not installed` };
  }
  // Not "package.json": a stray package.json under test/ would look like a package root to tools.
  const report = join(OUTPUT, runner.name === "package" ? "package-tests.json" : `${runner.name}.json`);
  rmSync(report, { force: true });
  console.log(`\n=== ${runner.name}: ${[...runner.command, "run", "--project", runner.name].join(" ")}`);
  const [command, ...args] = runner.command;
  const vitestArgs = ["run", "--project", runner.name, "--reporter=default", "--reporter=json"];
  const code = await exec(command, [...args, ...vitestArgs, `--outputFile.json=${report}`], runner.env);
  if (!existsSync(report)) {
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      note: `runner crashed (exit ${code}), no JSON report`,
      seconds: seconds(),
    };
  }
  const counts = countReport(report);
  for (const line of counts.broken) console.log(`  failed to run: ${line}`);
  // vitest exits non-zero for unhandled errors even when every test passed: count that once.
  if (code !== 0 && counts.failed === 0) {
    return {
      ...counts,
      failed: 1,
      note: `exit ${code} with no failed test (unhandled error?)`,
      seconds: seconds(),
    };
  }
  return { ...counts, seconds: seconds() };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const selected = RUNNERS.filter((r) => !options.only || options.only.includes(r.name));
  mkdirSync(OUTPUT, { recursive: true });
  const results = [];

  let builtOk = true;
  if (options.build && selected.some((r) => r.needsBuild)) {
    console.log("=== build: npm run build");
    const started = Date.now();
    builtOk = (await exec("npm", ["run", "build", "--silent"])) === 0;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    // A successful build is not a test; a failed one counts as one failure.
    results.push({ name: "build", passed: 0, failed: builtOk ? 0 : 1, skipped: 0, seconds });
  }
  // Redis-backed tests live in the node project and skip themselves (test/support/skip.ts).
  if (selected.some((r) => r.name === "node") && !hasSystemPackage("redis-server")) {
    const message = missingPackageMessage("redis-server");
    console.log(message);
    if (isCI) {
      results.push({ name: "redis", passed: 0, failed: 1, skipped: 0, note: "redis-server not installed" });
    }
  }
  for (const runner of selected) results.push({ name: runner.name, ...(await runRunner(runner, builtOk)) });

  console.log("\n=== summary");
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    for (const k of Object.keys(total)) total[k] += r[k];
    const time = r.seconds ? ` in ${r.seconds}s` : "";
    const note = r.note ? ` (${r.note})` : "";
    console.log(
      `${r.name.padEnd(8)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${time}${note}`,
    );
  }
  // Repeated here so a log read from its end names what failed.
  for (const r of results) {
    for (const line of [...(r.broken ?? []), ...(r.failures ?? [])])
      console.log(`  FAILED ${r.name}: ${line}`);
  }
  console.log(
    `${"total".padEnd(8)} ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`,
  );
  // The last line, read by CI: exactly `N passed, N failed`.
  console.log(`${total.passed} passed, ${total.failed} failed`);
  process.exitCode = total.failed > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
});
