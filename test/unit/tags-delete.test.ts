// deleteTags on a custom backend with a TTL floor (`minTtlMs`): a record whose TTL, kept in its
// header below the floor, has ended is still stored, so the backend's `deleteMany` counts it.
// deleteTags deletes it too but counts only the live keys, also when another client deletes one
// of those between the read and the delete: the ended keys go in a `deleteMany` of their own.
import { describe, expect, it } from "vitest";
import { Cache } from "../../runtimes/node";
import type { Backend } from "../../src/core/types";
import { mapBackend } from "../support/map-backend";

/** A map backend with a 60 s TTL floor whose `delete` and `deleteMany` call `before` first. */
function flooredBackend(before: (keys: readonly string[]) => void = () => undefined) {
  const inner = mapBackend({ many: true });
  const backend: Backend = {
    ...inner,
    capabilities: { ...inner.capabilities, nativeTtl: true, minTtlMs: 60_000 },
    delete: async (key) => {
      before([key]);
      return inner.delete(key);
    },
    deleteMany: async (keys) => {
      before(keys);
      return (inner.deleteMany as (keys: readonly string[]) => Promise<number>)(keys);
    },
  };
  return { backend, map: inner.map };
}

async function seeded(before?: (keys: readonly string[]) => void) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const floored = flooredBackend(before);
  const cache = new Cache({ clock }).setup(floored.backend);
  await cache.set("live", 1, { tags: ["t"] });
  await cache.set("ended", 2, { ttl: 10, tags: ["t"] });
  await cache.set("other", 3, { tags: ["u"] });
  clock.t += 20;
  return { cache, ...floored };
}

describe("deleteTags on a backend with a TTL floor", () => {
  it("deletes the key whose TTL has ended but counts only the live one", async () => {
    const { cache, map } = await seeded();
    expect(await cache.get("ended")).toBeUndefined();
    expect(await cache.deleteTags("t")).toBe(1);
    expect(map.has("live")).toBe(false);
    expect(map.has("ended")).toBe(false);
    expect(await cache.get("other")).toBe(3);
  });

  it("counts nothing when another client deleted the live key just before", async () => {
    let stolen = false;
    const { cache, map } = await seeded((keys) => {
      if (stolen || !keys.includes("live")) return;
      stolen = true;
      map.delete("live"); // another client's delete, landing between the read and ours
    });
    expect(await cache.deleteTags("t")).toBe(0);
    expect(stolen).toBe(true);
    expect(map.has("ended")).toBe(false);
  });
});
