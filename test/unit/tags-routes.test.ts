// deleteTags over several backends (SPEC 6): a tag's index sits on the backend of each key it
// tags, and every backend is visited, also when one of them fails.
import { describe, expect, it } from "vitest";
import { type Backend, Cache, CacheBackendError } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";

/** A memory backend whose every method throws once `down` is set (a dead server). */
function killable(): { backend: Backend; kill(): void } {
  const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
  let down = false;
  const backend = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (down) throw new Error("connection refused");
        return value.apply(target, args);
      };
    },
  });
  return { backend, kill: () => (down = true) };
}

describe("deleteTags over several backends", () => {
  it("a failing backend (suppress: false) does not keep the others from invalidating, then throws", async () => {
    const { backend, kill } = killable();
    const cache = new Cache().setup("mem://?size=100").setup(backend, { prefix: "far", suppress: false });
    await cache.set("far:1", "remote", { tags: ["t", "u"] });
    await cache.set("near:1", "local", { tags: ["t"] });
    await cache.set("near:2", "local", { tags: ["u"] });
    kill();
    const error = await cache.deleteTags("t", "u").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CacheBackendError);
    expect((error as Error).message).toMatch(/connection refused/);
    // Both tags went on the default backend although the "far" one failed first for each.
    expect(await cache.getMany(["near:1", "near:2"], "gone")).toEqual(["gone", "gone"]);
  });

  it("with suppress (the default) a failing backend is reported and the count covers the rest", async () => {
    const { backend, kill } = killable();
    const reported: string[] = [];
    const cache = new Cache()
      .setup("mem://?size=100")
      .setup(backend, { prefix: "far", onError: (error) => reported.push(error.message) });
    await cache.set("far:1", "remote", { tags: ["t"] });
    await cache.set("near:1", "local", { tags: ["t"] });
    kill();
    expect(await cache.deleteTags("t")).toBe(1);
    expect(await cache.get("near:1", "gone")).toBe("gone");
    expect(reported.length).toBeGreaterThan(0);
    expect(reported[0]).toMatch(/connection refused/);
  });

  it("keys of each backend are found through that backend's own index", async () => {
    const cache = new Cache().setup("mem://?size=100").setup("mem://?size=100", { prefix: "user" });
    await cache.set("user:1", 1, { tags: ["active"] });
    await cache.set("post:1", 2, { tags: ["active"] });
    // The index of "active" is on each backend, beside its keys; the tag's own name routes nowhere special.
    expect(await cache.backendFor("user:1").exists("__isocache__:tag:active")).toBe(true);
    expect(await cache.backendFor("post:1").exists("__isocache__:tag:active")).toBe(true);
    expect(await cache.deleteTags("active")).toBe(2);
    expect(await cache.backendFor("user:1").exists("__isocache__:tag:active")).toBe(false);
    expect(await cache.backendFor("post:1").exists("__isocache__:tag:active")).toBe(false);
  });
});
