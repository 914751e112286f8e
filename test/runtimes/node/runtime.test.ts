// Proves the `node` project really runs on Node and that the node entry is the one under test.
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/node";
import { serverClockSuite } from "../../conformance/server-clock";

describe("runtime: node", () => {
  it("runs on Node, not Bun or Deno", () => {
    expect(process.release.name).toBe("node");
    expect("Bun" in globalThis).toBe(false);
    expect("Deno" in globalThis).toBe(false);
  });

  it("tests the node entry", () => {
    expect(lib.runtime).toBe("node");
  });
});

serverClockSuite({ describe, it, expect }, lib);
