// System facts shared by vitest.config.ts, test/run-all.mjs, .ci/run's checks and test helpers.
// Plain .mjs so `node test/run-all.mjs` can import it without a TypeScript loader.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** True when running in CI (`CI=true`, `CI=1`): a missing system package is then a failure, not a skip. */
export const isCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

/** Debian's Chromium; Playwright's own browser download does not work on this machine. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Launch flags that work for Debian's Chromium here, headless as root in a container. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The Debian packages some test groups need, with the binary that proves each is installed. */
export const SYSTEM_PACKAGES = {
  chromium: { binary: CHROMIUM_PATH, install: "apt-get install -y chromium", needed: "browser tests" },
  "redis-server": {
    binary: "redis-server",
    install: "apt-get install -y redis-server",
    needed: "Redis and Upstash tests",
  },
};

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `name` (a path or a command looked up on PATH and the sbin dirs), or undefined. */
export function findBinary(name) {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/usr/bin", "/sbin"]);
  for (const dir of dirs) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** True when the Debian package `pkg` (a key of SYSTEM_PACKAGES) is installed. */
export function hasSystemPackage(pkg) {
  const entry = SYSTEM_PACKAGES[pkg];
  if (!entry) throw new Error(`unknown system package ${pkg}`);
  return findBinary(entry.binary) !== undefined;
}

/** One line telling what is skipped (outside CI) or failing (in CI) and how to install the package. */
export function missingPackageMessage(pkg) {
  const entry = SYSTEM_PACKAGES[pkg];
  const effect = isCI ? "cannot run (a failure with CI=true)" : "skipped";
  return `${pkg} not found (${entry.binary}): ${entry.needed} ${effect}; install with \`${entry.install}\``;
}
