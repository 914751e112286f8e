// The list index of a tag (backends without sets: memory, IndexedDB, files, KV, unstorage): it
// holds the live tagged keys, so it does not grow with every key ever tagged (SPEC 6).
import { describe, expect, it } from "vitest";
import { Cache } from "../../runtimes/node";

const INDEX = "__isocache__:tag:items";

function clockedCache(): { cache: Cache; advance(ms: number): void } {
  let now = Date.now();
  const cache = new Cache({ clock: { now: () => now } }).setup("mem://?size=1000");
  return {
    cache,
    advance: (ms) => {
      now += ms;
    },
  };
}

describe("a tag's list index", () => {
  it("drops the keys whose TTL has passed when it is next written", async () => {
    const { cache, advance } = clockedCache();
    for (let i = 0; i < 5; i++) await cache.set(`old:${i}`, i, { ttl: "1m", tags: ["items"] });
    await cache.set("kept", 0, { tags: ["items"] });
    await cache.set("late", 0, { ttl: "10m", tags: ["items"] });
    advance(2 * 60_000);
    await cache.set("new", 1, { ttl: "1m", tags: ["items"] });
    const listed = (await cache.get(INDEX)) as unknown[];
    expect(listed.map((member) => (typeof member === "string" ? member : (member as unknown[])[0]))).toEqual([
      "kept",
      "late",
      "new",
    ]);
    expect(await cache.deleteTags("items")).toBe(3);
  });

  it("keeps a key re-set with a longer TTL until its new expiry", async () => {
    const { cache, advance } = clockedCache();
    await cache.set("a", 1, { ttl: "1m", tags: ["items"] });
    advance(30_000);
    await cache.set("a", 2, { ttl: "1m", tags: ["items"] });
    advance(45_000); // past the first expiry, not the second
    await cache.set("b", 1, { ttl: "1m", tags: ["items"] });
    expect(await cache.deleteTags("items")).toBe(2);
    expect(await cache.get("a")).toBeUndefined();
  });

  it("still reads an index of bare keys", async () => {
    const { cache } = clockedCache();
    await cache.set("a", 1, { tags: ["items"] });
    await cache.set(INDEX, ["a"]);
    await cache.set("b", 1, { tags: ["items"] });
    expect(await cache.deleteTags("items")).toBe(2);
  });
});
