// The fs backend across real processes of the runtime running the tests (node, bun, deno): two
// child processes hammer one key while this process reads it, two children increment one counter,
// and two children take turns through setLock. The children run the backend built from src/ by
// esbuild into a temporary module.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fsBackend } from "../../src/backends/fs";
import { tempDirs } from "./fs-temp";

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, "fixtures", "fs-hammer.mjs");

/** Registers the tests; `label` names the runtime running them, which also runs the children. */
export function fsProcessesSuite(label: string): void {
  const dirs = tempDirs(`fs-processes-${label}`);
  let modulePath = "";

  beforeAll(async () => {
    modulePath = join(dirs.root, "fs-backend.mjs");
    await build({
      entryPoints: [join(here, "../../src/backends/fs.ts")],
      bundle: true,
      format: "esm",
      platform: "node",
      outfile: modulePath,
      logLevel: "silent",
    });
  });
  afterAll(() => rmSync(dirs.root, { recursive: true, force: true }));

  /** Runs the fixture on this runtime and resolves with its JSON line; rejects on a non-zero exit. */
  function child(args: string[]): Promise<Record<string, number>> {
    const runtimeArgs = "Deno" in globalThis ? ["run", "-A"] : [];
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [...runtimeArgs, FIXTURE, modulePath, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      proc.stdout.on("data", (chunk) => (out += chunk));
      proc.stderr.on("data", (chunk) => (err += chunk));
      proc.on("error", reject);
      proc.on("exit", (code) =>
        code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`child exited ${code}: ${err}`)),
      );
    });
  }

  /** `undefined` when `value` is one whole write of the fixture, else what is wrong with it. */
  function tornReason(value: string): string | undefined {
    const [writer, serial, body, length, ...rest] = value.split("|");
    if (rest.length > 0 || writer === undefined || serial === undefined || body === undefined) return "shape";
    if (String(body.length) !== length) return `length ${body.length} vs ${length}`;
    const letter = String.fromCharCode(97 + (Number(writer) % 26));
    return body === letter.repeat(body.length) ? undefined : "mixed body";
  }

  describe(`fs backend across ${label} processes`, () => {
    it("two processes writing one key never let a reader see a torn value", { timeout: 20_000 }, async () => {
      const dir = dirs.next();
      const reader = fsBackend({ dir });
      await reader.init();
      const writers = Promise.all([
        child([dir, "hot", "write", "1", "1500"]),
        child([dir, "hot", "write", "2", "1500"]),
      ]);
      let done = false;
      void writers.finally(() => (done = true)).catch(() => undefined);
      let reads = 0;
      const torn: string[] = [];
      const seen = new Set<string>();
      while (!done) {
        const value = await reader.get("hot");
        if (value === undefined) continue;
        reads++;
        seen.add(value.split("|")[0] as string);
        const reason = tornReason(value);
        if (reason !== undefined) torn.push(reason);
      }
      const [first, second] = await writers;
      expect(torn).toEqual([]);
      expect(first?.writes).toBeGreaterThan(10);
      expect(second?.writes).toBeGreaterThan(10);
      expect(reads).toBeGreaterThan(10);
      expect(seen.size).toBeGreaterThanOrEqual(1);
      const last = await reader.get("hot");
      expect(last === undefined ? "missing" : tornReason(last)).toBeUndefined();
    });

    it("two processes incrementing one counter lose no increment", { timeout: 20_000 }, async () => {
      const dir = dirs.next();
      const [a, b] = await Promise.all([child([dir, "n", "incr", "150"]), child([dir, "n", "incr", "150"])]);
      const backend = fsBackend({ dir });
      expect(await backend.get("n")).toBe("300");
      expect(Math.max(a?.last ?? 0, b?.last ?? 0)).toBe(300);
    });

    it("two processes taking one key by setLock never hold it at once", { timeout: 20_000 }, async () => {
      const dir = dirs.next();
      const [a, b] = await Promise.all([child([dir, "l", "lock", "100"]), child([dir, "l", "lock", "100"])]);
      const backend = fsBackend({ dir });
      // Each turn adds 1 by get and set under the lock: an overlap of two holders would lose one.
      expect(await backend.get("l:n")).toBe("200");
      expect(await backend.exists("l")).toBe(false);
      // The two did contend (else the test proves nothing about exclusion).
      expect((a?.waits ?? 0) + (b?.waits ?? 0)).toBeGreaterThan(0);
    });
  });
}
