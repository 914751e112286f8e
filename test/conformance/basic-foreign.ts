import { gzipBomb } from "../support/gzip-bomb";
import { expectCacheError, type Harness, MISS } from "./basic-harness";
import type { CacheErrorLike, CacheLike } from "./types";

/** A serializer of another program sharing the storage: base64 of JSON, behind a marker. */
const FOREIGN = {
  encode: (value: unknown) => `b64:${btoa(JSON.stringify(value))}`,
  decode: (text: string): unknown => {
    if (!text.startsWith("b64:")) throw new Error("not written by this serializer");
    return JSON.parse(atob(text.slice(4)));
  },
};

const LONG = { text: "a value long enough to be compressed and then cut in half ".repeat(40) };

/** A cache on `store` collecting what `onError` receives. */
function watched(h: Harness, store: unknown, options: Parameters<CacheLike["setup"]>[1] = {}) {
  const errors: CacheErrorLike[] = [];
  const cache = h.attach(store, { ...options, onError: (error) => errors.push(error) });
  return { cache, errors };
}

/** SPEC 2 `suppress`: a record this cache cannot read is a miss reported through `onError`, never a throw. */
export function foreignTests(h: Harness): void {
  const { t } = h;

  t.describe("foreign and damaged records", () => {
    t.it("a value written by another serializer reads as a miss and is reported, both ways", async () => {
      const store = await h.store();
      const ours = watched(h, store);
      const theirs = watched(h, store, { serializer: FOREIGN });
      await theirs.cache.set("theirs", { n: 1 });
      await ours.cache.set("ours", "plain text");
      t.expect(await theirs.cache.get("theirs")).toEqual({ n: 1 });
      t.expect(await ours.cache.get("theirs", MISS)).toBe(MISS);
      t.expect(await theirs.cache.get("ours", MISS)).toBe(MISS);
      t.expect(ours.errors).toHaveLength(1);
      t.expect(theirs.errors).toHaveLength(1);
      expectCacheError(h, ours.errors[0], h.lib.CacheValueError);
      t.expect(ours.errors[0]?.message).toMatch(/theirs/);
    });

    t.it("a truncated record reads as a miss and is reported: plain, tagged and compressed", async () => {
      const store = await h.store();
      const { cache, errors } = watched(h, store, { compress: true });
      await cache.set("plain", { list: [1, 2, 3], name: "plain" });
      await cache.set("tagged", "tagged value", { tags: ["t1"] });
      await cache.set("long", LONG);
      for (const key of ["plain", "tagged", "long"]) {
        const raw = (await cache.getRaw(key)) as string;
        t.expect(typeof raw).toBe("string");
        await cache.setRaw(key, raw.slice(0, Math.floor(raw.length / 2)));
        t.expect(await cache.get(key, MISS)).toBe(MISS);
      }
      t.expect(errors).toHaveLength(3);
      for (const error of errors) expectCacheError(h, error, h.lib.CacheError);
    });

    t.it("a gzip bomb (8 KB inflating past decompressLimit) reads as a reported miss", async () => {
      const store = await h.store();
      const { cache, errors } = watched(h, store, { decompressLimit: 1024 * 1024 });
      // 8 MiB of JSON text once inflated: without the limit it would read as an 8 MiB string.
      const bomb = `@{"c":"gzip"}\n${await gzipBomb(8, 0x61, '"', '"')}`;
      t.expect(bomb.length).toBeLessThan(16_000);
      await cache.setRaw("bomb", bomb);
      t.expect(await cache.get("bomb", MISS)).toBe(MISS);
      t.expect(errors).toHaveLength(1);
      expectCacheError(h, errors[0], h.lib.CacheValueError);
      t.expect(errors[0]?.message).toMatch(/bomb.*1048576 bytes.*decompressLimit/);
      const strict = h.attach(store, { decompressLimit: 1024 * 1024, suppress: false });
      const error = await strict.get("bomb").then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expectCacheError(h, error, h.lib.CacheValueError);
      // A compressed value within the limit still reads.
      await cache.setRaw("small", `@{"c":"gzip"}\n${await gzipBomb(0, 0x61, '"', 'fits"')}`);
      t.expect(await cache.get("small")).toBe("fits");
    });

    t.it("a record signed with another secret reads as a miss and is reported", async () => {
      const store = await h.store();
      await h.attach(store, { secret: "Zq7-theirs", onError: () => {} }).set("a", 1);
      const { cache, errors } = watched(h, store, { secret: "Zq7-mine" });
      t.expect(await cache.get("a", MISS)).toBe(MISS);
      t.expect(errors).toHaveLength(1);
      t.expect(errors[0]?.message).not.toMatch(/Zq7/); // never echo a secret
    });

    t.it("getOrSet and getMany treat an unreadable record as a miss", async () => {
      const store = await h.store();
      await h.attach(store, { serializer: FOREIGN }).set("k", 1);
      const { cache, errors } = watched(h, store);
      t.expect(await cache.getMany(["k"], MISS)).toEqual([MISS]);
      t.expect(await cache.getOrSet("k", () => "fresh")).toBe("fresh");
      t.expect(await cache.get("k")).toBe("fresh");
      t.expect(errors.length).toBeGreaterThanOrEqual(2);
    });

    t.it("with suppress: false an unreadable record rejects with a CacheError", async () => {
      const store = await h.store();
      await h.attach(store, { serializer: FOREIGN }).set("k", 1);
      const strict = h.attach(store, { suppress: false });
      const error = await strict.get("k").then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expectCacheError(h, error, h.lib.CacheError);
    });
  });
}
