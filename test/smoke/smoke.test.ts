// The packed tarball, imported BY NAME on each runtime, resolves to that runtime's entry.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { chromium } from "playwright";
import { describe, expect, inject, it } from "vitest";
import { PKG_DIR, run } from "../package/helpers";
import { skipWithout } from "../support/skip";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/system.mjs";

const app = inject("smokeAppDir");
const bin = (name: string) => join(PKG_DIR, "node_modules", ".bin", name);

async function stdoutOf(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(command, args, { cwd: app, env: { ...process.env, ...env } });
  return stdout.trim();
}

async function bundle(options: { platform: "neutral" | "browser"; conditions?: string[]; entry: string }) {
  const result = await build({
    absWorkingDir: app,
    entryPoints: [options.entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: options.platform,
    conditions: options.conditions ?? [],
    external: ["node:*"],
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

describe("smoke: import 'isocache' from the packed tarball", () => {
  it("node: import picks the node entry", async () => {
    const code = 'const { runtime } = await import("isocache"); console.log(runtime);';
    expect(await stdoutOf(process.execPath, ["--input-type=module", "-e", code])).toBe("node");
  });

  it("node: require() picks the node entry (require(esm), no top-level await)", async () => {
    const code = 'console.log(require("isocache").runtime);';
    expect(await stdoutOf(process.execPath, ["--no-warnings", "-e", code])).toBe("node");
  });

  it("bun: picks the bun entry", async () => {
    expect(await stdoutOf(bin("bun"), ["print-runtime.mjs"])).toBe("bun");
  });

  it("deno: picks the deno entry", async () => {
    const env = { DENO_DIR: join(PKG_DIR, ".deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
    expect(await stdoutOf(bin("deno"), ["run", "-A", "print-runtime.mjs"], env)).toBe("deno");
  });

  it("workerd: a bundled worker picks the workerd entry", async () => {
    const script = await bundle({
      entry: "./worker.mjs",
      platform: "neutral",
      conditions: ["workerd", "worker"],
    });
    // miniflare 5 (pinned by @cloudflare/vitest-plugin 1.5) takes `workers: [{ config, ... }]`;
    // the converter accepts the familiar single-worker v4 shape.
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        modules: true,
        script,
        compatibilityDate: "2026-04-26",
        compatibilityFlags: ["nodejs_compat"],
      }),
    );
    try {
      const response = await mf.dispatchFetch("http://localhost/");
      expect(await response.text()).toBe("workerd");
    } finally {
      await mf.dispose();
    }
  });

  it.skipIf(skipWithout("chromium"))(
    "browser: a browser bundle picks the browser entry in Chromium",
    async () => {
      const content = await bundle({ entry: "./page.mjs", platform: "browser" });
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        await page.setContent("<!doctype html><title>isocache smoke</title>");
        await page.addScriptTag({ content, type: "module" });
        const runtime = await page.waitForFunction(
          () => (globalThis as { __isocacheRuntime?: string }).__isocacheRuntime,
        );
        expect(await runtime.jsonValue()).toBe("browser");
      } finally {
        await browser.close();
      }
    },
  );

  it("bundler without a runtime condition picks the default entry", async () => {
    const script = await bundle({ entry: "./print-runtime.mjs", platform: "neutral" });
    writeFileSync(join(app, "default-bundle.mjs"), script);
    expect(await stdoutOf(process.execPath, ["default-bundle.mjs"])).toBe("default");
  });
});
