// calls that take a function refuse a non-function with CacheArgumentError (as `transaction`
// does), before anything runs, instead of leaking the engine's bare TypeError.
import { describe, expect, it } from "vitest";
import { Cache, CacheError } from "../../runtimes/node";

async function refusal(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectArgumentError(error: unknown): void {
  expect(CacheError.is(error)).toBe(true);
  expect((error as CacheError).code).toBe("E_ARGUMENT");
  expect((error as Error).message).toMatch(/^\[isocache\] /);
}

describe("a non-function where a function is expected", () => {
  const notFunction = 5 as unknown as () => number;

  it("lock(key, options, 5) is a CacheArgumentError", async () => {
    const cache = new Cache();
    expectArgumentError(await refusal(() => cache.lock("report", { ttl: "30s" }, notFunction)));
  });

  it("lock(key, undefined, fn) is a CacheArgumentError", async () => {
    const cache = new Cache();
    const options = undefined as unknown as { ttl: string };
    expectArgumentError(await refusal(() => cache.lock("report", options, () => 1)));
  });

  it("getOrSet(key, 5) is a CacheArgumentError", async () => {
    const cache = new Cache();
    expectArgumentError(await refusal(() => cache.getOrSet("user:42", notFunction)));
  });

  it("detect, disabling and invalidateFurther of 5 are CacheArgumentErrors", async () => {
    const cache = new Cache();
    expectArgumentError(await refusal(() => cache.detect(notFunction)));
    expectArgumentError(await refusal(() => cache.disabling(notFunction)));
    expectArgumentError(await refusal(() => cache.invalidateFurther(notFunction)));
  });

  it("transaction(5) already is one (the convention the others should follow)", async () => {
    const cache = new Cache();
    expectArgumentError(await refusal(() => cache.transaction(notFunction)));
  });
});
