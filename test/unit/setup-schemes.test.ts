// Which error a URL scheme gets when the running entry does not serve it: on bundled runtimes
// (Workers, browsers) a backend with a client must be registered by the program, and the error
// says how; elsewhere it names the runtimes that serve the scheme.
import { describe, expect, it } from "vitest";
import { upstash } from "../../src/backends/upstash";
import { systemClock } from "../../src/core/clock";
import { CacheConfigError } from "../../src/core/errors";
import { registerScheme } from "../../src/core/lazy";
import { resolveSetup, type SetupEnv } from "../../src/core/setup";

const memOnly = (runtime: string): SetupEnv => ({ runtime, clock: systemClock, schemes: {}, adapters: [] });

function setupError(env: SetupEnv, url: string): CacheConfigError {
  try {
    resolveSetup(env, url);
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    return error as CacheConfigError;
  }
  throw new Error(`setup("${url}") did not throw`);
}

describe("setup: schemes a runtime does not serve", () => {
  it("upstash:// on Workers without registerScheme says how to register it", () => {
    const error = setupError(memOnly("workerd"), "upstash://?url=http://127.0.0.1:1&token=t");
    expect(error.message).toContain('import { upstash } from "isocache/backends/upstash"');
    expect(error.message).toContain("registerScheme(upstash)");
    expect(error.message).toContain("upstashBackend(");
    expect(error.message).not.toContain("token=t");
  });

  it("idb:// in a browser without registerScheme says how to register it", () => {
    const error = setupError(memOnly("browser"), "idb://app/store");
    expect(error.message).toContain("registerScheme(idb)");
  });

  it("idb:// on Node names the runtimes that serve it", () => {
    const error = setupError(memOnly("node"), "idb://app/store");
    expect(error.message).toContain("idb:// is not served on node");
    expect(error.message).toContain("browsers");
  });

  it("once registered, the scheme is served", () => {
    registerScheme(upstash);
    const config = resolveSetup(memOnly("workerd"), "upstash://?url=http://127.0.0.1:1&token=t");
    expect(config.backend.name).toBe("upstash");
  });
});

describe("setup: options inside a list of tiers", () => {
  it("a core parameter in a tier's URL throws instead of being dropped, and says where it goes", async () => {
    const { Cache } = await import("../../runtimes/node");
    for (const [tiers, name] of [
      [["mem://?size=10", "mem://?suppress=false"], "suppress"],
      [["mem://?timeout=200ms", "mem://"], "timeout"],
      [["mem://?copy=false", "mem://"], "copy"],
      [["mem://", "mem://?secret=s3cret"], "secret"],
      [["mem://?prefix=user:"], "prefix"],
    ] as const) {
      const error = (() => {
        try {
          new Cache().setup([...tiers]);
        } catch (caught) {
          return caught;
        }
        throw new Error(`setup(${JSON.stringify(tiers)}) did not throw`);
      })();
      expect(error).toBeInstanceOf(CacheConfigError);
      expect((error as Error).message).toContain(`URL parameter ${name}`);
      expect((error as Error).message).toContain(`{ ${name}: `);
      expect((error as Error).message).not.toContain("s3cret");
    }
    // Backend parameters of a tier stay where they are.
    expect(() => new Cache().setup(["mem://?size=10", "mem://"], { suppress: false })).not.toThrow();
  });

  it("clientSide: true with a list of tiers is checked like on one backend, not ignored", async () => {
    const { Cache } = await import("../../runtimes/node");
    // One tier is one backend: memory reports no other process's writes.
    expect(() => new Cache().setup(["mem://"], { clientSide: true })).toThrow(
      /clientSide needs a backend that reports writes/,
    );
    // Several tiers already put their own tier in front.
    expect(() => new Cache().setup(["mem://", "mem://"], { clientSide: true })).toThrow(CacheConfigError);
    expect(() => new Cache().setup(["mem://", "mem://"], { clientSide: true })).toThrow(
      /clientSide takes one backend, not a list of tiers/,
    );
  });
});

describe("setup: timeout values no timer can honour", () => {
  it("timeout 0 or one past what timers can wait throws instead of timing out every call", async () => {
    const { Cache } = await import("../../runtimes/node");
    for (const timeout of [0, "0s", "25d", 2 ** 31, "mem://?timeout=30d"]) {
      const setup = () =>
        typeof timeout === "string" && timeout.startsWith("mem:")
          ? new Cache().setup(timeout)
          : new Cache().setup("mem://", { timeout });
      expect(setup, String(timeout)).toThrow(CacheConfigError);
      expect(setup, String(timeout)).toThrow(/would make every backend call time out.*omit timeout/);
    }
    expect(() => new Cache().setup("mem://", { timeout: "24d" })).not.toThrow();
    expect(() => new Cache().setup("mem://?timeout=1")).not.toThrow();
  });
});
