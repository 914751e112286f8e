// `ping()` is a health check: a backend that fails or does not answer rejects it with
// `CacheBackendError` whatever `suppress` says (the failure is reported to onError as well), so
// `await cache.ping()` never reports a dead backend as "PONG". A disabled cache answers alone.
import { describe, expect, it } from "vitest";
import { Cache, CacheBackendError, type CacheError } from "../../runtimes/node";
import { mapBackend } from "../support/map-backend";

/** A map backend whose ping fails as `mode` says. */
function sick(mode: "throws" | "backend-error" | "hangs" | "healthy") {
  const backend = mapBackend();
  backend.ping = (message) => {
    if (mode === "throws") return Promise.reject(new TypeError("fetch failed"));
    if (mode === "backend-error")
      return Promise.reject(new CacheBackendError("map", "[isocache] [map] not connected: check the URL"));
    if (mode === "hangs") return new Promise<string>(() => {});
    return Promise.resolve(message ?? "PONG");
  };
  return backend;
}

describe("ping() as a health check", () => {
  it("answers PONG, or echoes the message, from a healthy backend", async () => {
    const cache = new Cache().setup(sick("healthy"));
    expect(await cache.ping()).toBe("PONG");
    expect(await cache.ping("hello")).toBe("hello");
  });

  for (const suppress of [true, false]) {
    it(`rejects with CacheBackendError when the backend throws (suppress: ${suppress})`, async () => {
      const reported: CacheError[] = [];
      const cache = new Cache().setup(sick("throws"), {
        suppress,
        onError: (error) => void reported.push(error),
      });
      const error = await cache.ping().then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(CacheBackendError);
      expect((error as Error).message).toMatch(/^\[isocache\] \[map\] ping failed/);
      expect((error as Error).message).toMatch(/check that the backend is reachable/);
      expect(reported).toHaveLength(suppress ? 1 : 0);
      // The cache's reads still behave as misses under suppress.
      if (suppress) expect(await cache.get("k", "default")).toBe("default");
    });
  }

  it("rejects with the backend's own CacheBackendError, which says what went wrong", async () => {
    const reported: CacheError[] = [];
    const cache = new Cache().setup(sick("backend-error"), { onError: (error) => void reported.push(error) });
    await expect(cache.ping()).rejects.toThrow("[isocache] [map] not connected: check the URL");
    expect(reported[0]?.message).toBe("[isocache] [map] not connected: check the URL");
  });

  it("rejects once `timeout` passes when the backend does not answer", async () => {
    const cache = new Cache().setup(sick("hangs"), { timeout: 50, onError: () => {} });
    const started = Date.now();
    await expect(cache.ping()).rejects.toBeInstanceOf(CacheBackendError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("answers without asking a backend that is disabled, or inside disabling()", async () => {
    const off = new Cache().setup(sick("throws"), { enable: false });
    expect(await off.ping()).toBe("PONG");
    const cache = new Cache().setup(sick("throws"), { onError: () => {} });
    expect(await cache.disabling(() => cache.ping("quiet"), "ping")).toBe("quiet");
  });
});
