// (2) No top-level await: `require()` of each built entry works on Node >= 20.19 (require(esm)
// refuses modules with top-level await with ERR_REQUIRE_ASYNC_MODULE).
import { describe, expect, it } from "vitest";
import { entryFile, nodeEval, RUNTIMES } from "./helpers";

describe("package: require(esm)", () => {
  it.each(RUNTIMES)("require() loads dist/runtimes/%s.js", async (rt) => {
    const result = await nodeEval<{ runtime?: unknown; error?: string }>(`
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      try {
        const mod = require(${JSON.stringify(entryFile(rt))});
        console.log(JSON.stringify({ runtime: mod.runtime }));
      } catch (error) {
        console.log(JSON.stringify({ error: String(error && error.code) + ": " + String(error && error.message) }));
      }
    `);
    expect(result.error).toBeUndefined();
    expect(result.runtime).toBe(rt);
  });
});
