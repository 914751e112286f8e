// Proves the `deno` project really runs inside Deno (vitest started with `deno run -A`).
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { serverClockSuite } from "../../conformance/server-clock";

describe("runtime: deno", () => {
  it("runs on Deno", () => {
    const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
    expect(typeof deno).toBe("object");
    expect(deno?.version?.deno).toBeTypeOf("string");
  });

  it("tests the deno entry", () => {
    expect(lib.runtime).toBe("deno");
  });
});

serverClockSuite({ describe, it, expect }, lib);
