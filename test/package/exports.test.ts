// (1) Every built runtime entry exports the same names, and the error classes are one set of
// identities across entries (tsup's shared chunks), so `instanceof` works whichever entry loads.
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { entryFile, nodeEval, packageJson, RUNTIMES } from "./helpers";

interface Report {
  names: Record<string, string[]>;
  runtime: Record<string, unknown>;
  errorClasses: string[];
  notShared: string[];
  errorNames: Record<string, string>;
}

const entries = Object.fromEntries(RUNTIMES.map((rt) => [rt, pathToFileURL(entryFile(rt)).href]));

// Imports natively in a Node child process, not through vitest's module runner, so module identity
// is exactly what a user's program gets.
const report = () =>
  nodeEval<Report>(`
    const entries = ${JSON.stringify(entries)};
    const mods = {};
    for (const [rt, url] of Object.entries(entries)) mods[rt] = await import(url);
    const names = {}, runtime = {};
    for (const [rt, mod] of Object.entries(mods)) { names[rt] = Object.keys(mod).sort(); runtime[rt] = mod.runtime; }
    const isErrorClass = (v) => typeof v === "function" && v.prototype instanceof Error;
    const errorClasses = Object.keys(mods.default).filter((n) => isErrorClass(mods.default[n])).sort();
    const notShared = errorClasses.filter((n) => Object.values(mods).some((m) => m[n] !== mods.default[n]));
    const errorNames = Object.fromEntries(errorClasses.map((n) => [n, new mods.default[n]("m").name]));
    console.log(JSON.stringify({ names, runtime, errorClasses, notShared, errorNames }));
  `);

describe("package: exports", () => {
  it("package.json maps each export condition to its runtime entry", () => {
    const root = packageJson().exports["."] as Record<string, string>;
    for (const rt of RUNTIMES) {
      expect(root[rt === "default" ? "default" : rt], `exports["."].${rt}`).toBe(`./dist/runtimes/${rt}.js`);
    }
    expect(Object.keys(root)[0], "types must be the first condition").toBe("types");
    expect(Object.keys(root).at(-1), "default must be the last condition").toBe("default");
  });

  it("every entry exports the same names and says which runtime it is", async () => {
    const { names, runtime } = await report();
    for (const rt of RUNTIMES) {
      expect(names[rt], `exports of dist/runtimes/${rt}.js`).toEqual(names.default);
      expect(runtime[rt], `runtime exported by dist/runtimes/${rt}.js`).toBe(rt);
    }
    expect(names.default).toEqual(expect.arrayContaining(["Cache", "cache", "CacheError", "runtime"]));
  });

  it("error classes are the same identities in every entry", async () => {
    const { errorClasses, notShared } = await report();
    expect(errorClasses).toEqual(expect.arrayContaining(["CacheError", "CacheConfigError"]));
    expect(notShared, "error classes duplicated instead of living in a shared chunk").toEqual([]);
  });

  it("each error class names itself as exported, whatever the bundler renamed", async () => {
    // esbuild emits `class _CacheError` for a class that refers to itself; `name` must not follow.
    const { errorClasses, errorNames } = await report();
    expect(errorNames).toEqual(Object.fromEntries(errorClasses.map((n) => [n, n])));
  });
});
