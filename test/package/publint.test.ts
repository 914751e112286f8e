// (4) publint finds no error and no warning in the package as npm would pack it.
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { describe, expect, it } from "vitest";
import { PKG_DIR, packageJson } from "./helpers";

describe("package: publint", () => {
  it("reports no errors or warnings", async () => {
    const { messages } = await publint({ pkgDir: PKG_DIR, pack: "npm", level: "suggestion" });
    const pkg = packageJson();
    const lines = messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
    for (const line of lines.filter((l) => l.startsWith("suggestion"))) console.info(`publint ${line}`);
    expect(lines.filter((l) => !l.startsWith("suggestion"))).toEqual([]);
  });
});
