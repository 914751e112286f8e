// The synchronous memory read path: isolated (default) and reference (`copy: false`) modes, and
// that the value kept on an entry never outlives the text it was decoded from.
import { describe, expect, it } from "vitest";
import { Cache, CacheConfigError, memoryBackend, registerType } from "../../runtimes/node";

function makeCache(copy?: boolean) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const cache = new Cache({ clock }).setup("mem://?size=100", copy === undefined ? {} : { copy });
  return { cache, clock };
}

const user = () => ({ id: "1", name: "Ada", tags: ["a", "b", "c"] });

describe("isolated mode (default)", () => {
  it("gives every hit its own copy, so mutating one never reaches the next", async () => {
    const { cache } = makeCache();
    await cache.set("u", user());
    const first = (await cache.get("u")) as ReturnType<typeof user>;
    first.name = "changed";
    first.tags.push("d");
    const second = (await cache.get("u")) as ReturnType<typeof user>;
    expect(second).toEqual(user());
    expect(second).not.toBe(first);
    expect(second.tags).not.toBe(first.tags);
  });

  it("serves cached() hits as copies, also after the first read kept a tree", async () => {
    const { cache } = makeCache();
    let calls = 0;
    const load = cache.cached({ ttl: "1h", key: "{id}" })(async function load(id: string) {
      calls++;
      return { ...user(), id };
    });
    const made = await load("7");
    made.name = "mutated after the miss";
    const hits = [await load("7"), await load("7"), await load("7")];
    for (const hit of hits) expect(hit).toEqual({ ...user(), id: "7" });
    expect(hits[0]).not.toBe(hits[1]);
    (hits[0] as ReturnType<typeof user>).tags.length = 0;
    expect((await load("7")).tags).toEqual(["a", "b", "c"]);
    expect(calls).toBe(1);
    expect(load.stats()).toMatchObject({ hits: 4, misses: 1 });
  });

  it("copies typed values exactly: Date, Map, Set, BigInt, typed arrays, null-prototype objects", async () => {
    const { cache } = makeCache();
    const bag = Object.assign(Object.create(null), { k: 1 });
    const value = {
      when: new Date(5),
      tags: new Set(["x"]),
      index: new Map([["a", [1, 2]]]),
      n: 10n,
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5, -0]),
      re: /a+b/gi,
      bag,
      // biome-ignore lint/suspicious/noSparseArray: a hole must survive the copy.
      sparse: [1, , 3],
    };
    await cache.set("t", value);
    const a = (await cache.get("t")) as typeof value;
    const b = (await cache.get("t")) as typeof value;
    for (const copy of [a, b]) {
      expect(copy).toEqual(value);
      expect(copy.when).toBeInstanceOf(Date);
      expect(Object.getPrototypeOf(copy.bag)).toBeNull();
      expect(1 in copy.sparse).toBe(false);
      expect(Object.is(copy.floats[1], -0)).toBe(true);
      expect(copy.re.flags).toBe("gi");
    }
    a.bytes[0] = 99;
    a.index.get("a")?.push(3);
    a.tags.add("y");
    a.when.setTime(0);
    const c = (await cache.get("t")) as typeof value;
    expect(c).toEqual(value);
    expect(a.bytes).not.toBe(b.bytes);
  });

  it("keeps shared references shared inside each copy, and copies apart across hits", async () => {
    const { cache } = makeCache();
    const shared = { n: 1 };
    await cache.set("s", { x: shared, y: shared });
    const a = (await cache.get("s")) as { x: { n: number }; y: { n: number } };
    const b = (await cache.get("s")) as typeof a;
    expect(a.x).toBe(a.y);
    expect(b.x).toBe(b.y);
    expect(a.x).not.toBe(b.x);
  });

  it("decodes errors afresh on every hit", async () => {
    const { cache } = makeCache();
    await cache.set("e", { failure: new RangeError("nope") });
    const a = (await cache.get("e")) as { failure: RangeError };
    const b = (await cache.get("e")) as { failure: RangeError };
    expect(a.failure).toBeInstanceOf(RangeError);
    expect(a.failure).not.toBe(b.failure);
    expect(b.failure.message).toBe("nope");
  });

  it("copies registered classes through their decoder on every hit", async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    registerType(
      Point,
      (p) => [p.x, p.y],
      (d) => new Point(...(d as [number, number])),
      "ReadPathPoint",
    );
    const { cache } = makeCache();
    await cache.set("p", new Point(1, 2));
    const a = await cache.get("p");
    const b = await cache.get("p");
    expect(a).toBeInstanceOf(Point);
    expect(a).not.toBe(b);
  });
});

describe("reference mode (copy: false)", () => {
  it("returns the same object to every hit, and says so: a mutation is seen by later hits", async () => {
    const { cache } = makeCache(false);
    await cache.set("u", user());
    const first = (await cache.get("u")) as ReturnType<typeof user>;
    const second = await cache.get("u");
    expect(second).toBe(first);
    first.name = "changed";
    expect(((await cache.get("u")) as ReturnType<typeof user>).name).toBe("changed");
  });

  it("never shares the object given to set, and drops the kept object when the key is rewritten", async () => {
    const { cache } = makeCache(false);
    const original = user();
    await cache.set("u", original);
    original.name = "changed before any read";
    const read = (await cache.get("u")) as ReturnType<typeof user>;
    expect(read.name).toBe("Ada");
    await cache.set("u", { ...user(), name: "Grace" });
    const next = (await cache.get("u")) as ReturnType<typeof user>;
    expect(next).not.toBe(read);
    expect(next.name).toBe("Grace");
  });

  it("checks an expiry kept in the record header on every hit", async () => {
    const clock = { t: 1_000_000, now: () => clock.t };
    // A backend without native TTL puts the expiry in the record; memory in front serves the hits.
    const { memoryBackend } = await import("../../runtimes/node");
    const inner = memoryBackend({ clock });
    const capabilities = { ...inner.capabilities, nativeTtl: false };
    const noTtl = new Proxy(inner, {
      get(target, property) {
        if (property === "capabilities") return capabilities;
        if (property === "name") return "no-ttl";
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    for (const copy of [true, false]) {
      const cache = new Cache({ clock }).setup(["mem://", noTtl], { copy });
      await cache.set("u", user(), { ttl: 1000 });
      expect(await cache.get("u")).toEqual(user());
      expect(await cache.get("u")).toEqual(user());
      clock.t += 1001;
      expect(await cache.get("u")).toBeUndefined();
    }
  });

  it("lets a kept value expire and be deleted like any entry", async () => {
    const { cache, clock } = makeCache(false);
    await cache.set("u", user(), { ttl: 1000 });
    expect(await cache.get("u")).toEqual(user());
    clock.t += 1001;
    expect(await cache.get("u")).toBeUndefined();
    await cache.set("v", user());
    await cache.get("v");
    await cache.delete("v");
    expect(await cache.get("v", "gone")).toBe("gone");
  });

  it("serves cached() hits by reference and counts them", async () => {
    const { cache } = makeCache(false);
    const load = cache.cached({ ttl: "1h", key: "{id}" })(async function load(id: string) {
      return { ...user(), id };
    });
    await load("1");
    const a = await load("1");
    expect(await load("1")).toBe(a);
    expect(load.stats()).toMatchObject({ hits: 2, misses: 1, loads: 1 });
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it("reads tagged records (with a header) and counters through the same path", async () => {
    const { cache } = makeCache(false);
    await cache.set("t", user(), { tags: ["people"] });
    const a = await cache.get("t");
    expect(await cache.get("t")).toBe(a);
    expect(await cache.incr("n", 2)).toBe(2);
    expect(await cache.get("n")).toBe(2);
    expect(await cache.incr("n", 3)).toBe(5);
    expect(await cache.get("n")).toBe(5);
    expect(await cache.deleteTags("people")).toBe(1);
    expect(await cache.get("t")).toBeUndefined();
  });

  it("is read from the URL too, and a non-boolean is a CacheConfigError", () => {
    expect(() => new Cache().setup("mem://?copy=false")).not.toThrow();
    expect(() => new Cache().setup("mem://?copy=maybe")).toThrow(CacheConfigError);
    expect(() => new Cache().setup("mem://", { copy: "no" as unknown as boolean })).toThrow(CacheConfigError);
  });
});

describe("the synchronous path steps aside", () => {
  it("for detect, disabled reads and invalidateFurther", async () => {
    const { cache } = makeCache(false);
    let calls = 0;
    const load = cache.cached({ ttl: "1h", key: "{id}" })(async function load(id: string) {
      calls++;
      return { id, calls };
    });
    await load("1");
    const { calls: seen } = await cache.detect(() => load("1"));
    expect(seen["1"]?.[0]?.name).toBe("cached");
    expect(await cache.disabling(() => load("1"))).toEqual({ id: "1", calls: 2 });
    expect(await cache.invalidateFurther(() => load("1"))).toEqual({ id: "1", calls: 3 });
    expect(await load("1")).toEqual({ id: "1", calls: 3 });
  });

  it("for middlewares, which still see every get", async () => {
    const seen: string[] = [];
    const cache = new Cache().setup("mem://", {
      middlewares: [
        (call, next) => {
          seen.push(call.command);
          return next();
        },
      ],
    });
    await cache.set("a", 1);
    expect(await cache.get("a")).toBe(1);
    expect(seen).toEqual(["set", "get"]);
  });

  it("for signed values, which are verified on every read", async () => {
    const errors: string[] = [];
    const cache = new Cache().setup("mem://", { secret: "s3cret", onError: (e) => errors.push(e.code) });
    await cache.set("a", { x: 1 });
    expect(await cache.get("a")).toEqual({ x: 1 });
    const raw = (await cache.getRaw("a")) as string;
    await cache.setRaw("a", raw.replace('"x":1', '"x":2'));
    expect(await cache.get("a")).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe("caches sharing one memory backend", () => {
  const reads = [
    ["the reference-mode cache reads first", ["shared", "isolated"]],
    ["the isolated cache reads first", ["isolated", "shared"]],
  ] as const;

  it.each(reads)("keep an isolated cache's hits isolated when %s", async (_label, order) => {
    const backend = memoryBackend();
    const caches = {
      isolated: new Cache().setup(backend),
      shared: new Cache().setup(backend, { copy: false }),
    };
    await caches.isolated.set("u", user());
    for (const name of order) await caches[name].get("u");
    const seen = (await caches.shared.get("u")) as ReturnType<typeof user>;
    seen.name = "changed by the reference-mode caller";
    expect(await caches.isolated.get("u")).toEqual(user());
    expect(await caches.isolated.get("u")).toEqual(user());
  });

  it("keep each cache's serializer: one never gets the value another decoded", async () => {
    const backend = memoryBackend();
    const upper = {
      encode: (value: unknown) => JSON.stringify(value),
      decode: (text: string) => (JSON.parse(text) as string).toUpperCase(),
    };
    const plain = new Cache().setup(backend);
    const custom = new Cache().setup(backend, { serializer: upper, copy: false });
    await plain.set("k", "text");
    expect(await custom.get("k")).toBe("TEXT");
    expect(await plain.get("k")).toBe("text");
    expect(await custom.get("k")).toBe("TEXT");
  });
});
