// (5) The published tarball holds only the build, the README, the LICENSE and package.json.
import { describe, expect, it } from "vitest";
import { PKG_DIR, RUNTIMES, run } from "./helpers";

const ALLOWED = /^(dist\/.+|README\.md|LICENSE|package\.json)$/;

async function packedFiles(): Promise<string[]> {
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: PKG_DIR,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [result] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return (result?.files ?? []).map((f) => f.path).sort();
}

describe("package: npm pack", () => {
  it("lists only dist/**, README.md, LICENSE and package.json", async () => {
    const files = await packedFiles();
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE"]));
    for (const rt of RUNTIMES) {
      expect(files).toContain(`dist/runtimes/${rt}.js`);
    }
    expect(files).toContain("dist/runtimes/default.d.ts");
  });
});
