// Type tests (vitest typecheck, run by tsc): a wrapped function keeps its parameters and `this`,
// becomes async, and gains typed `key`, `invalidate`, `refresh` and `stats`; TC39 decorator syntax
// type-checks on async methods. A failing expectation here is a compile error, reported as a test.
import { describe, expectTypeOf, it } from "vitest";
import { Cache, type CacheStats } from "../../runtimes/node";

const cache = new Cache();

interface User {
  id: string;
  name: string;
}

describe("types: wrapped functions keep their signature", () => {
  it("an async function keeps its parameters and its resolved type", () => {
    const getUser = cache.cached({ ttl: "1h", key: "user:{id}" })(async function getUser(
      id: string,
      withPosts?: boolean,
    ): Promise<User> {
      return { id, name: String(withPosts) };
    });
    expectTypeOf(getUser).parameters.toEqualTypeOf<[id: string, withPosts?: boolean]>();
    expectTypeOf(getUser).returns.toEqualTypeOf<Promise<User>>();
    // @ts-expect-error a number is not a user id
    getUser(42);
  });

  it("a sync function becomes async", () => {
    const add = cache.cached({ ttl: 1000, key: "add:{a}:{b}" })(function add(a: number, b: number) {
      return a + b;
    });
    expectTypeOf(add).returns.toEqualTypeOf<Promise<number>>();
  });

  it("the extras take the same arguments", () => {
    const find = cache.failover({ ttl: "1d" })(async function find(id: number, tag: string) {
      return [id, tag] as const;
    });
    expectTypeOf(find.key).parameters.toEqualTypeOf<[id: number, tag: string]>();
    expectTypeOf(find.key).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(find.invalidate).returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(find.refresh).returns.toEqualTypeOf<Promise<readonly [number, string]>>();
    expectTypeOf(find.stats()).toEqualTypeOf<CacheStats>();
    // @ts-expect-error refresh takes the wrapped function's arguments
    find.refresh("1", "x");
  });

  it("every strategy factory keeps the signature", () => {
    const fn = async (id: string) => id.length;
    expectTypeOf(cache.hit({ ttl: "1h", cacheHits: 3 })(fn)).parameters.toEqualTypeOf<[id: string]>();
    expectTypeOf(cache.early({ ttl: "1h", earlyTtl: "50m" })(fn)).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(cache.soft({ ttl: "1h", softTtl: "1m" })(fn)).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(cache.locked({ ttl: "10s" })(fn)).parameters.toEqualTypeOf<[id: string]>();
    expectTypeOf(cache.rateLimit({ limit: 3, period: "1m" })(fn)).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(
      cache.circuitBreaker({ errorsRate: 50, period: "1m", ttl: "30s" })(fn),
    ).parameters.toEqualTypeOf<[id: string]>();
  });

  it("`this` is kept for functions that declare it", () => {
    const method = cache.cached({ ttl: "1m", name: "scaled" })(async function (
      this: { factor: number },
      n: number,
    ) {
      return n * this.factor;
    });
    expectTypeOf(method).thisParameter.toEqualTypeOf<{ factor: number }>();
  });
});

describe("types: TC39 decorator syntax", () => {
  it("decorates async methods of a class", () => {
    class Repo {
      @cache.cached({ ttl: "2h", key: "repo:{id}" })
      async find(id: string): Promise<User> {
        return { id, name: "x" };
      }
    }
    expectTypeOf(new Repo().find).parameters.toEqualTypeOf<[id: string]>();
    expectTypeOf(new Repo().find).returns.toEqualTypeOf<Promise<User>>();
  });
});
