// `iterator`'s recording on the memory backend: chunks are kept as they were when yielded, by
// the key's own serializer, in every copy mode.
import { describe, expect, it } from "vitest";
import { Cache, CacheValueError, registerType } from "../../runtimes/node";

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

class Money {
  constructor(
    public cents: bigint,
    public currency: string,
  ) {}
}
registerType(
  Money,
  (money) => [String(money.cents), money.currency],
  (data) => new Money(BigInt((data as [string, string])[0]), (data as [string, string])[1]),
  "test.iterator.Money",
);

/** A generator of rows whose consumer (below) spends and redacts them. */
function rowsOf(cache: Cache) {
  return cache.iterator({ ttl: "1m" })(async function* rows() {
    yield { id: 1, secret: "s1", price: new Money(100n, "EUR") };
    yield 0;
    yield { id: 2, secret: "s2", price: new Money(250n, "USD") };
  });
}

async function spendAndRedact(source: AsyncIterable<unknown>): Promise<void> {
  for await (const row of source) {
    if (typeof row !== "object" || row === null) continue;
    const mutable = row as { secret?: string; price: Money };
    delete mutable.secret;
    mutable.price.cents -= 1n;
  }
}

describe("iterator recording", () => {
  for (const copy of [true, false]) {
    it(`replays registered classes as yielded, though the consumer changed them (copy: ${copy})`, async () => {
      const cache = new Cache().setup("mem://?size=100", { copy });
      const rows = rowsOf(cache);
      await spendAndRedact(rows());
      const replayed = (await collect(rows())) as { id: number; secret: string; price: Money }[];
      expect(replayed).toHaveLength(3);
      expect(replayed[0]?.price).toBeInstanceOf(Money);
      expect(replayed[0]).toStrictEqual({ id: 1, secret: "s1", price: new Money(100n, "EUR") });
      expect(replayed[1]).toBe(0);
      expect(replayed[2]).toStrictEqual({ id: 2, secret: "s2", price: new Money(250n, "USD") });
    });
  }

  it("keeps chunks through a custom serializer, as they were when yielded", async () => {
    let encodes = 0;
    const serializer = {
      encode(value: unknown) {
        encodes++;
        return JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? `${item}n` : item));
      },
      decode: (text: string) => JSON.parse(text) as unknown,
    };
    const cache = new Cache().setup("mem://?size=100", { serializer });
    const rows = cache.iterator({ ttl: "1m" })(async function* rows() {
      yield { id: 1, secret: "s1", total: 5n };
    });
    for await (const row of rows()) delete (row as { secret?: string }).secret;
    expect(encodes).toBeGreaterThan(0);
    expect(await collect(rows())).toStrictEqual([{ id: 1, secret: "s1", total: "5n" }]);
  });

  it("still streams a chunk the serializer refuses, then rejects as the store does, and stores nothing", async () => {
    const cache = new Cache();
    const seen: unknown[] = [];
    const hooks = cache.iterator({ ttl: "1m", key: "hooks" })(async function* hooks() {
      yield { name: "a" };
      yield { name: "b", run: () => 1 };
      yield { name: "c" };
    });
    const consume = async () => {
      for await (const hook of hooks()) seen.push((hook as { name: string }).name);
    };
    await expect(consume()).rejects.toBeInstanceOf(CacheValueError);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(await cache.get("hooks")).toBeUndefined();
  });
});
