// Shared by the package tests: they check the BUILT package (`npm run build` first), as npm
// would publish it. ISOCACHE_PACKAGE_DIR points them at another package root (tooling self-test).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);

/** Root of the package under test (the repo root unless ISOCACHE_PACKAGE_DIR says otherwise). */
export const PKG_DIR = resolve(
  process.env.ISOCACHE_PACKAGE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "../.."),
);

/** Every runtime entry, by the `runtime` string it must export. */
export const RUNTIMES = ["node", "bun", "deno", "workerd", "browser", "default"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** Entries that must stay free of `node:*`, eval and `new Function`. */
export const WEB_RUNTIMES: readonly RuntimeName[] = ["browser", "workerd", "default"];

/** Absolute path of a built entry, e.g. dist/runtimes/node.js. */
export function entryFile(runtime: RuntimeName): string {
  return join(PKG_DIR, "dist", "runtimes", `${runtime}.js`);
}

/** The package's package.json. */
export function packageJson(): {
  name: string;
  exports: Record<string, unknown>;
  [key: string]: unknown;
} {
  return JSON.parse(readFileSync(join(PKG_DIR, "package.json"), "utf8"));
}

/** Runs an ES module snippet on Node (outside vitest's module runner) and parses its JSON output. */
export async function nodeEval<T>(code: string): Promise<T> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "--no-warnings", "-e", code], {
    cwd: PKG_DIR,
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}
