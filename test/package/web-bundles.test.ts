// (3) The browser, workerd and default entries, followed through every chunk they import, name no
// `node:*` module and contain no eval or `new Function` (CSP and workerd forbid code generation).
// Bare builtin names (`async_hooks`) count too: tsup's default `removeNodeProtocol` produces them.
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { entryFile, PKG_DIR, RUNTIMES, type RuntimeName, WEB_RUNTIMES } from "./helpers";

// Module specifiers in static imports/re-exports, side-effect imports and dynamic import().
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"']+)\1/g;
const ANY_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;
const BUILTINS = new Set(builtinModules);
const isNodeBuiltin = (spec: string) => spec.startsWith("node:") || BUILTINS.has(spec.split("/")[0] ?? "");
const CODEGEN = /\beval\s*\(|\bnew\s+Function\s*\(/g;

/** Every built file reachable from `entry` through relative imports (static and dynamic). */
function reachable(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const match of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const spec = match[2] ?? "";
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen].sort();
}

function findings(runtime: RuntimeName, pattern: RegExp, keep = (_: string) => true) {
  return reachable(entryFile(runtime)).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(pattern)]
      .map((match) => match[1] ?? match[0])
      .filter(keep)
      .map((found) => `${relative(PKG_DIR, file)}: ${found}`),
  );
}

describe("package: web bundles", () => {
  it.each(WEB_RUNTIMES)("%s entry and its chunks import no node:* module", (rt) => {
    expect(findings(rt, ANY_SPECIFIER, isNodeBuiltin)).toEqual([]);
  });

  it.each(WEB_RUNTIMES)("%s entry and its chunks use no eval or new Function", (rt) => {
    expect(findings(rt, CODEGEN)).toEqual([]);
  });

  // Deno outside node_modules and bundlers given `--external:node:*` need the prefix; tsup strips it
  // unless `removeNodeProtocol: false`.
  it.each(RUNTIMES)("%s entry imports Node builtins only with the node: prefix", (rt) => {
    const bare = (spec: string) => !spec.startsWith("node:") && isNodeBuiltin(spec);
    expect(findings(rt, ANY_SPECIFIER, bare)).toEqual([]);
  });

  it("the scan follows chunks (sanity check of the scanner)", () => {
    const files = reachable(entryFile("default"));
    expect(files.length, "default entry should import at least one shared chunk").toBeGreaterThan(1);
  });
});
