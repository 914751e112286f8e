import { describe, expect, it } from "vitest";
import { Cache, CacheBackendError, type CacheError } from "../../runtimes/node";

type Mode = "locked" | "serializable";

/** A memory cache whose `unlock` fails while `down.unlock` is set, and whose `set` can be slowed or failed per key. */
function flakyCache() {
  const down = {
    unlock: false,
    failSet: undefined as string | undefined,
    slowSet: undefined as string | undefined,
  };
  const reported: CacheError[] = [];
  const settledSets: string[] = [];
  const unlocked: string[] = [];
  const cache = new Cache().setup("mem://", {
    suppress: false,
    onError: (error) => reported.push(error),
    middlewares: [
      async (call, next) => {
        if (call.command === "unlock" && down.unlock)
          throw new CacheBackendError("memory", "unlock: the backend is down");
        if (call.command === "unlock") {
          const result = await next();
          unlocked.push(`${call.key} after ${settledSets.join(",") || "nothing"}`);
          return result;
        }
        if (call.command === "set" && call.key === down.failSet)
          throw new CacheBackendError("memory", "set: the backend is down");
        if (call.command === "set" && call.key === down.slowSet) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          const result = await next();
          settledSets.push(String(call.key));
          return result;
        }
        return next();
      },
    ],
  });
  return { cache, down, reported, settledSets, unlocked };
}

describe.each<Mode>(["locked", "serializable"])(
  "a %s transaction whose locks cannot be given back",
  (mode) => {
    it("still resolves once its writes landed (a retry would apply them twice); the failure goes to onError", async () => {
      const { cache, down, reported } = flakyCache();
      await cache.set("n", 1);
      const result = await cache.transaction(
        async () => {
          await cache.incr("n");
          down.unlock = true;
          return "done";
        },
        { mode },
      );
      expect(result).toBe("done");
      down.unlock = false;
      expect(await cache.get("n")).toBe(2);
      expect(reported.map((error) => error.message).join("\n")).toMatch(/unlock: the backend is down/);
    });

    it("rejects with the error its function threw, not the release's", async () => {
      const { cache, down } = flakyCache();
      const failing = cache.transaction(
        async () => {
          await cache.set("k", 1);
          down.unlock = true;
          throw new Error("the caller's own failure");
        },
        { mode },
      );
      await expect(failing).rejects.toThrow("the caller's own failure");
      down.unlock = false;
      expect(await cache.get("k")).toBeUndefined();
    });
  },
);

describe("a commit that fails on one key", () => {
  it("gives its locks back only once every other write of the commit has settled", async () => {
    const { cache, down, unlocked } = flakyCache();
    down.failSet = "bad";
    down.slowSet = "slow";
    // The locks' unlocks, seen by a middleware (callbacks do not see the library's internal keys).
    const committing = cache.transaction(
      async () => {
        await cache.set("slow", 1);
        await cache.set("bad", 2);
      },
      { mode: "locked" },
    );
    await expect(committing).rejects.toThrow(/set: the backend is down/);
    expect(unlocked.length).toBe(2);
    for (const line of unlocked) expect(line).toMatch(/after slow$/);
    expect(await cache.get("slow")).toBe(1);
  });
});
