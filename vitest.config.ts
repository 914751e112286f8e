// One vitest config, one project per runtime. `npm test` (test/run-all.mjs) runs each project
// in its own process on its own runtime; the commands, verified on Node 20.20 / Bun 1.4 / Deno 2.9:
//
//   node     node node_modules/vitest/vitest.mjs run --project node
//   bun      node_modules/.bin/bun --bun node_modules/vitest/vitest.mjs run --project bun
//   deno     DENO_DIR=.deno node_modules/.bin/deno run -A node_modules/vitest/vitest.mjs run --project deno
//   workers  node node_modules/vitest/vitest.mjs run --project workers   (tests run inside workerd)
//   browser  node node_modules/vitest/vitest.mjs run --project browser   (tests run inside Chromium)
//   types    node node_modules/vitest/vitest.mjs run --project types     (tsc over test/types)
//   package  node node_modules/vitest/vitest.mjs run --project package   (needs `npm run build`)
//   smoke    node node_modules/vitest/vitest.mjs run --project smoke     (needs `npm run build`)
//   examples node node_modules/vitest/vitest.mjs run --project examples  (needs `npm run build`)
//
// The bun and deno projects exist only when vitest itself runs on Bun or Deno (and then they are
// the only projects): under Node they would run Bun's tests on Node and pass for the wrong reason.
// The workerd and Chromium plugins load lazily, so Bun and Deno never import them.
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./test/support/system.mjs";

/** Starts redis-server and the Upstash-compatible gateway once per run; tests read them with `inject`. */
const SERVICES = "test/support/services.ts";

const host = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** Compatibility settings shared with wrangler.toml and the workerd smoke test. */
const WORKERD = {
  compatibilityDate: "2026-04-26",
  compatibilityFlags: ["nodejs_compat"],
  kvNamespaces: ["CACHE"],
};

// The conformance suites poll for background work (`until`, up to 5 s) and must fail with their
// own message, naming what did not happen, before vitest's 5 s default cuts the test off with none.
const SUITE_TIMEOUT_MS = 20_000;

function nodeProjects(): TestProjectInlineConfiguration[] {
  return [
    {
      test: {
        name: "node",
        environment: "node",
        testTimeout: SUITE_TIMEOUT_MS,
        globalSetup: [SERVICES],
        setupFiles: ["fake-indexeddb/auto"],
        include: [
          "test/unit/**/*.test.ts",
          "test/backends/**/*.test.ts",
          "test/hono/**/*.test.ts",
          "test/runtimes/node/**/*.test.ts",
        ],
      },
    },
    {
      // Type tests: vitest hands test/types/*.test-d.ts to tsc and reports each expectation as a test.
      test: {
        name: "types",
        typecheck: {
          enabled: true,
          only: true,
          include: ["test/types/**/*.test-d.ts"],
          tsconfig: "tsconfig.json",
        },
      },
    },
    {
      test: {
        name: "package",
        environment: "node",
        include: ["test/package/**/*.test.ts"],
        testTimeout: 60_000,
      },
    },
    {
      test: {
        name: "smoke",
        environment: "node",
        include: ["test/smoke/**/*.test.ts"],
        globalSetup: ["test/smoke/global-setup.ts"],
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    },
    {
      // Starts each example as its own process (node, bun, deno, miniflare, a static server for
      // Chromium) and talks to it over loopback; the services give the Redis runs their URL.
      test: {
        name: "examples",
        environment: "node",
        globalSetup: [SERVICES],
        include: ["test/examples/**/*.test.ts"],
        testTimeout: 120_000,
        hookTimeout: 60_000,
      },
    },
  ];
}

async function workersProject(): Promise<TestProjectInlineConfiguration> {
  const { cloudflareTest } = await import("@cloudflare/vitest-plugin");
  return {
    // The plugin supplies the pool; workerd needs nodejs_compat for node:async_hooks.
    // `main` serves the Hono suite through workerd's own fetch dispatch; loaded only when a test calls it.
    // The two vars stand for a wrangler.toml [vars] section: upstash-env.test.ts checks they reach
    // process.env (nodejs_compat at this compatibility date) and that upstash:// reads them there.
    plugins: [
      cloudflareTest({
        main: "./test/runtimes/workerd/hono-worker.ts",
        miniflare: {
          ...WORKERD,
          bindings: {
            UPSTASH_REDIS_REST_URL: "https://vars-reach-process-env.upstash.invalid",
            UPSTASH_REDIS_REST_TOKEN: "token-from-worker-vars",
          },
        },
      }),
    ],
    test: {
      name: "workers",
      testTimeout: SUITE_TIMEOUT_MS,
      globalSetup: [SERVICES],
      include: ["test/runtimes/workerd/**/*.test.ts"],
    },
  };
}

async function browserProject(): Promise<TestProjectInlineConfiguration> {
  const { playwright } = await import("@vitest/browser-playwright");
  return {
    test: {
      name: "browser",
      testTimeout: SUITE_TIMEOUT_MS,
      globalSetup: [SERVICES],
      include: ["test/runtimes/browser/**/*.test.ts"],
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        // Playwright's browser download fails here; Debian's Chromium needs these flags.
        provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
        instances: [{ browser: "chromium" }],
      },
    },
  };
}

export default defineConfig(async () => {
  if (host === "bun") {
    return {
      test: {
        projects: [
          {
            test: {
              name: "bun",
              testTimeout: SUITE_TIMEOUT_MS,
              globalSetup: [SERVICES],
              include: ["test/runtimes/bun/**/*.test.ts"],
            },
          },
        ],
      },
    };
  }
  if (host === "deno") {
    return {
      test: {
        projects: [
          {
            test: {
              name: "deno",
              testTimeout: SUITE_TIMEOUT_MS,
              globalSetup: [SERVICES],
              include: ["test/runtimes/deno/**/*.test.ts"],
            },
          },
        ],
      },
    };
  }
  return { test: { projects: [...nodeProjects(), await workersProject(), await browserProject()] } };
});
