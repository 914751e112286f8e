// A backend without native TTL (`nativeTtl: false`) still holds a record whose TTL, kept by the
// core in the record, has ended. Every command must answer as a backend with native TTL would:
// such a key does not exist, so deleting it reports nothing deleted (and still removes it).
import { describe, expect, it } from "vitest";
import { Cache } from "../../runtimes/node";
import { mapBackend } from "../support/map-backend";

async function seeded(options: { tiered?: boolean; many?: boolean } = {}) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const backend = mapBackend({ many: options.many });
  const cache = new Cache({ clock }).setup(options.tiered ? ["mem://", backend] : backend);
  await cache.set("live", 1);
  await cache.set("gone", 2, { ttl: 10 });
  await cache.set("gone2", 3, { ttl: 10 });
  clock.t += 20;
  return { cache, backend, clock };
}

describe.each([
  { label: "one backend", tiered: false, many: false },
  { label: "one backend with deleteMany", tiered: false, many: true },
  { label: "under a memory tier", tiered: true, many: false },
])("expired records on a backend without native TTL ($label)", (options) => {
  it("delete of an expired key is false and removes its record; of a live key, true", async () => {
    const { cache, backend } = await seeded(options);
    expect(await cache.exists("gone")).toBe(false);
    expect(await cache.delete("gone")).toBe(false);
    expect(backend.map.has("gone")).toBe(false);
    expect(await cache.delete("live")).toBe(true);
    expect(await cache.delete("live")).toBe(false);
  });

  it("deleteMany counts only the live keys, and removes the expired records too", async () => {
    const { cache, backend } = await seeded(options);
    expect(await cache.deleteMany(["gone", "live", "missing", "gone2"])).toBe(1);
    expect([...backend.map.keys()]).toEqual([]);
  });

  it("a lock whose TTL has ended is not held: isLocked is false and it can be taken again", async () => {
    const { cache, clock } = await seeded(options);
    expect(await cache.setLock("lock", "first", 10)).toBe(true);
    expect(await cache.isLocked("lock")).toBe(true);
    clock.t += 20;
    expect(await cache.isLocked("lock")).toBe(false);
    expect(await cache.setLock("lock", "second", 1_000)).toBe(true);
    expect(await cache.unlock("lock", "first")).toBe(false);
    expect(await cache.unlock("lock", "second")).toBe(true);
  });

  it("a delete called right after, and a set right after it, keep their order", async () => {
    const { cache } = await seeded(options);
    const deleting = cache.delete("gone");
    const setting = cache.set("gone", "new");
    expect(await deleting).toBe(false);
    expect(await setting).toBe(true);
    expect(await cache.get("gone")).toBe("new");
    const many = cache.deleteMany(["live", "gone2"]);
    const again = cache.set("live", "again");
    expect(await many).toBe(1);
    expect(await again).toBe(true);
    expect(await cache.get("live")).toBe("again");
  });
});
