// Packs the built package with `npm pack` and installs the tarball into a throwaway app outside
// the repo, as a user would get it (the package has no dependencies, so unpacking into
// node_modules/isocache is what `npm install <tgz>` does). Each smoke test then imports
// `isocache` by name from that app, so every runtime's own resolver picks the export condition.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { PKG_DIR, run } from "../package/helpers";

declare module "vitest" {
  export interface ProvidedContext {
    smokeAppDir: string;
  }
}

const OUTPUT_DIR = join(PKG_DIR, "test", ".output");

export default async function setup(project: TestProject): Promise<() => void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const { stdout } = await run(
    "npm",
    ["pack", "--json", "--ignore-scripts", "--pack-destination", OUTPUT_DIR],
    {
      cwd: PKG_DIR,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error("npm pack printed no tarball");
  const tarball = join(OUTPUT_DIR, packed.filename);

  const app = mkdtempSync(join(tmpdir(), "isocache-smoke-"));
  const target = join(app, "node_modules", "isocache");
  mkdirSync(target, { recursive: true });
  await run("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  // A package.json makes Deno resolve bare imports from this node_modules (no npm: specifiers).
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "smoke-app", private: true, type: "module" }),
  );
  writeFileSync(
    join(app, "print-runtime.mjs"),
    'import { runtime } from "isocache";\nconsole.log(runtime);\n',
  );
  writeFileSync(
    join(app, "worker.mjs"),
    'import { runtime } from "isocache";\nexport default { fetch: () => new Response(runtime) };\n',
  );
  writeFileSync(
    join(app, "page.mjs"),
    'import { runtime } from "isocache";\nglobalThis.__isocacheRuntime = runtime;\n',
  );

  project.provide("smokeAppDir", app);
  return () => rmSync(app, { recursive: true, force: true });
}
