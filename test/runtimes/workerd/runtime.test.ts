// Proves the `workers` project really runs inside workerd, with the KV binding from the config.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";

describe("runtime: workerd", () => {
  it("runs inside workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    expect(typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair).toBe("function");
  });

  it("has the CACHE KV namespace", async () => {
    await env.CACHE.put("runtime-test", "ok");
    expect(await env.CACHE.get("runtime-test")).toBe("ok");
  });

  it("tests the workerd entry", () => {
    expect(lib.runtime).toBe("workerd");
  });
});
