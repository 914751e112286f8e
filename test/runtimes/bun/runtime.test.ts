// Proves the `bun` project really runs inside Bun (vitest started with `bun --bun`).
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/bun";
import { serverClockSuite } from "../../conformance/server-clock";

describe("runtime: bun", () => {
  it("runs on Bun", () => {
    expect(typeof (globalThis as { Bun?: unknown }).Bun).toBe("object");
    expect(process.versions.bun).toBeTypeOf("string");
  });

  it("tests the bun entry", () => {
    expect(lib.runtime).toBe("bun");
  });
});

serverClockSuite({ describe, it, expect }, lib);
