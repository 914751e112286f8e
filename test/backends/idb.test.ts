// IndexedDB off browsers: idb:// keeps failing with a CacheConfigError that says where it runs,
// and the subpath's URL parsing and option checks. (Chromium runs the real backend tests.)
import { describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { idb, idbBackend } from "../../src/backends/idb";

const parse = (text: string) => {
  const url = new URL(text);
  return idb.fromUrl(url, new URLSearchParams(url.search));
};

describe("idb on Node", () => {
  it("idb://db/store throws CacheConfigError naming browsers", () => {
    let error: unknown;
    try {
      new lib.Cache().setup("idb://my-db/my-store");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(lib.CacheConfigError);
    expect((error as Error).message).toMatch(/idb:\/\/ is not served on node.*browsers/);
  });

  it("reads database, store and openTimeout from the URL", () => {
    expect(parse("idb://my-db/my-store")).toEqual({ db: "my-db", store: "my-store" });
    expect(parse("idb://My%20DB/a%2Fb?openTimeout=250")).toEqual({
      db: "My DB",
      store: "a/b",
      openTimeout: 250,
    });
    expect(parse("idb://")).toEqual({});
    expect(idb.capabilities({})).toEqual({
      nativeTtl: true,
      minTtlMs: 0,
      maxKeyBytes: 0,
      atomic: true,
      consistency: "strong",
    });
  });

  it("refuses more than one store, unknown parameters and a bad openTimeout", () => {
    expect(() => parse("idb://db/a/b")).toThrow(/more than one object store/);
    expect(() => parse("idb://db/s?size=1")).toThrow(/unknown URL parameter "size"/);
    expect(() => parse("idb://db/s?openTimeout=soon")).toThrow(lib.CacheConfigError);
    expect(() => parse("idb://db/s?openTimeout=0")).toThrow(/openTimeout/);
    expect(() => idbBackend({ db: "" })).toThrow(lib.CacheConfigError);
  });

  it("a registered idb:// with no IndexedDB fails as a CacheBackendError, or a reported miss", async () => {
    const saved = globalThis.indexedDB;
    // fake-indexeddb is loaded for the node project; take it away to be a runtime without IndexedDB.
    Reflect.deleteProperty(globalThis, "indexedDB");
    try {
      const strict = new lib.Cache().setup(idbBackend({ db: "x" }), { suppress: false });
      const error = await strict.get("k").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(lib.CacheBackendError);
      expect((error as Error).message).toMatch(/IndexedDB is not available/);
      const seen: unknown[] = [];
      const lenient = new lib.Cache().setup(idbBackend({ db: "x" }), { onError: (e) => seen.push(e) });
      expect(await lenient.get("k", "miss")).toBe("miss");
      expect(seen).toHaveLength(1);
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});
