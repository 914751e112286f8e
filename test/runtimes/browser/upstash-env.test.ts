// Upstash in Chromium has no environment to read: without url and token, setup fails with a
// CacheConfigError saying to pass them, and to give a public page a read-only token only.
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { upstash, upstashBackend } from "../../../src/backends/upstash";

const ADVICE =
  /there is no process\.env here \(a browser\) to read UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN from: pass url and token .*never put the database's write token in a public page: give it a read-only token$/;

describe("upstash url and token in a browser", () => {
  it("this page has no process.env", () => {
    expect((globalThis as { process?: { env?: unknown } }).process?.env).toBeUndefined();
  });

  it("neither given: CacheConfigError saying to pass url and token, and a read-only token only", () => {
    lib.registerScheme(upstash);
    const setups: [string, () => unknown][] = [
      ["upstash://", () => new lib.Cache().setup("upstash://")],
      ["upstashBackend()", () => upstashBackend()],
      ["url only", () => upstashBackend({ url: "https://db.upstash.io" })],
    ];
    for (const [what, setup] of setups) {
      let caught: unknown;
      try {
        setup();
      } catch (error) {
        caught = error;
      }
      expect([what, caught instanceof lib.CacheConfigError]).toEqual([what, true]);
      expect((caught as Error).message).toMatch(
        /^\[isocache\] \[upstash\] no REST (URL and no REST token|token) given, /,
      );
      expect((caught as Error).message).toMatch(ADVICE);
    }
  });
});
