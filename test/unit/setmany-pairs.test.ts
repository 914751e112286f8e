// README "Errors": setMany entries that are not [key, value] pairs are a CacheArgumentError
// before anything is written. A one-element entry ["a"] instead stores undefined under "a".
import { describe, expect, it } from "vitest";
import { Cache, CacheError } from "../../runtimes/node";

describe("setMany entries that are not pairs", () => {
  it('setMany([["a"]]) is a CacheArgumentError and writes nothing', async () => {
    const cache = new Cache();
    const entries = [["a"]] as unknown as [string, unknown][];
    const error = await cache.setMany(entries).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(CacheError.is(error)).toBe(true);
    expect((error as CacheError).code).toBe("E_ARGUMENT");
    expect(await cache.exists("a")).toBe(false);
  });

  it('setMany([["b", 1, 2]]) is a CacheArgumentError and writes nothing', async () => {
    const cache = new Cache();
    const entries = [["b", 1, 2]] as unknown as [string, unknown][];
    const error = await cache.setMany(entries).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as CacheError | undefined)?.code).toBe("E_ARGUMENT");
    expect(await cache.exists("b")).toBe(false);
  });
});
