// What `transaction` and the strategies of this area refuse, before anything runs: options that
// are not an object, a transaction function that is not one, options that are missing.
import { describe, expect, it } from "vitest";
import { Cache, CacheArgumentError, CacheConfigError, CacheError } from "../../runtimes/node";

describe("transaction(fn, options)", () => {
  it.each([null, 5, "locked", true, ["locked"]])(
    "refuses options %j with a CacheArgumentError that says what to pass, and runs nothing",
    async (options) => {
      const cache = new Cache();
      let ran = false;
      const error = await cache
        .transaction(async () => {
          ran = true;
        }, options as never)
        .then(
          () => undefined,
          (reason: unknown) => reason,
        );
      expect(error).toBeInstanceOf(CacheArgumentError);
      expect(error).toBeInstanceOf(CacheError);
      expect((error as Error).message).toMatch(
        /\[transaction\] options must be an object, got .*: pass for example \{ mode:/,
      );
      expect(ran).toBe(false);
    },
  );

  it("refuses them nested too, where the outer transaction would otherwise ignore them", async () => {
    const cache = new Cache();
    const error = await cache
      .transaction(() => cache.transaction(async () => 1, null as never))
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(CacheArgumentError);
  });

  it("refuses an unknown option name, with the name it is closest to", async () => {
    const cache = new Cache();
    const error = await cache
      .transaction(async () => 1, { mdoe: "locked" } as never)
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(CacheArgumentError);
    expect((error as Error).message).toContain("unknown option `mdoe`: did you mean `mode`?");
  });

  it.each(["bogus", "Locked", 1, null])(
    "refuses mode %j with a CacheArgumentError that names the modes, nested too, and runs nothing",
    async (mode) => {
      const cache = new Cache();
      let ran = false;
      const run = async () => {
        ran = true;
      };
      for (const pending of [
        cache.transaction(run, { mode } as never),
        cache.transaction(() => cache.transaction(run, { mode } as never)),
      ]) {
        const error = await pending.catch((reason: unknown) => reason);
        expect(error).toBeInstanceOf(CacheArgumentError);
        expect((error as Error).message).toMatch(
          /\[transaction\] unknown mode .*: use "fast", "locked" or "serializable"/,
        );
      }
      expect(ran).toBe(false);
    },
  );

  it("refuses a transaction function that is not a function", async () => {
    const cache = new Cache();
    const error = await cache.transaction(null as never).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(CacheArgumentError);
    expect((error as Error).message).toMatch(/\[transaction\] .*a function/);
  });

  it("still takes no options, undefined, or an object", async () => {
    const cache = new Cache();
    expect(await cache.transaction(async () => 1)).toBe(1);
    expect(await cache.transaction(async () => 2, undefined)).toBe(2);
    expect(await cache.transaction(async () => 3, { mode: "locked", timeout: "1s" })).toBe(3);
  });
});

describe("rateLimit, sliceRateLimit and circuitBreaker without options", () => {
  const fn = async function call() {
    return 1;
  };
  it.each([
    ["rateLimit", (cache: Cache) => cache.rateLimit(undefined as never)(fn)],
    ["sliceRateLimit", (cache: Cache) => cache.sliceRateLimit(undefined as never)(fn)],
    ["circuitBreaker", (cache: Cache) => cache.circuitBreaker(undefined as never)(fn)],
  ])("%s: a CacheConfigError that says which options to pass, not a TypeError", (name, wrap) => {
    const cache = new Cache();
    let error: unknown;
    try {
      wrap(cache);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(CacheConfigError);
    expect((error as Error).message).toMatch(
      new RegExp(`^\\[isocache\\] \\[${name}\\] .*: pass for example \\{`),
    );
  });
});
