import { describe, expect, it } from "vitest";
import { Cache, CacheBackendError, CacheConfigError, memoryBackend } from "../../runtimes/node";
import { bloomPositions, bloomShape } from "../../src/strategies/bloom";

type Options = Parameters<Cache["bloom"]>[0];

function setup(options: Partial<Options> = {}, cache = new Cache()) {
  const state = { runs: 0, members: new Set<string>() };
  const taken = cache.bloom({ capacity: 1000, falsePositives: 1, ...options })(async function taken(
    email: string,
  ) {
    state.runs++;
    return state.members.has(email);
  });
  return { cache, state, taken };
}

describe("bloom sizing and hashing", () => {
  it("sizes bits and hashes from capacity and rate, in whole blocks", () => {
    // m = -n ln p / ln² 2 = 9586 bits, k = m/n ln 2 ≈ 7
    expect(bloomShape(1000, 1)).toEqual({ blockBits: 4096, blocks: 3, hashes: 7 });
    expect(bloomShape(10, 1)).toEqual({ blockBits: 96, blocks: 1, hashes: 7 });
    expect(bloomShape(100_000, 0.1).hashes).toBe(10);
    expect(bloomShape(1, 50)).toEqual({ blockBits: 8, blocks: 1, hashes: 1 });
  });

  it("spreads positions evenly enough to keep the false-positive rate near the target", () => {
    const shape = bloomShape(5000, 1);
    const size = shape.blocks * shape.blockBits;
    const bits = new Uint8Array(size);
    for (let i = 0; i < 5000; i++)
      for (const p of bloomPositions(`member:${i}`, shape.hashes, size)) bits[p] = 1;
    let positives = 0;
    const probes = 50_000;
    for (let i = 0; i < probes; i++) {
      if (bloomPositions(`other:${i}`, shape.hashes, size).every((p) => bits[p] === 1)) positives++;
    }
    expect(positives / probes).toBeLessThan(0.015);
    const positions = bloomPositions("x", 7, size);
    expect(new Set(positions).size).toBe(7);
    for (const p of positions) expect(p >= 0 && p < size && Number.isInteger(p)).toBe(true);
  });
});

describe("bloom", () => {
  it("returns false without calling for unmarked arguments, and calls through for marked ones", async () => {
    const { state, taken } = setup();
    expect(await taken("ada@example.com")).toBe(false);
    expect(state.runs).toBe(0);
    state.members.add("ada@example.com");
    await taken.set("ada@example.com");
    expect(await taken("ada@example.com")).toBe(true);
    expect(state.runs).toBe(1);
    await taken.set("bob@example.com"); // marked, but the function says no: its answer wins
    expect(await taken("bob@example.com")).toBe(false);
    expect(state.runs).toBe(2);
  });

  it("never answers false for a marked member and keeps false positives near the rate", async () => {
    const { state, taken } = setup({ capacity: 1000, falsePositives: 1 });
    const members = Array.from({ length: 1000 }, (_, i) => `user${i}@example.com`);
    for (const email of members) state.members.add(email);
    await Promise.all(members.map((email) => taken.set(email)));
    const answers = await Promise.all(members.map((email) => taken(email)));
    expect(answers.every(Boolean)).toBe(true);
    state.runs = 0;
    for (let i = 0; i < 1000; i++) expect(await taken(`stranger${i}@example.com`)).toBe(false);
    expect(state.runs).toBeLessThan(25); // about 10 expected at 1%
  });

  it("keeps every mark when processes sharing a backend mark the same blocks at once", async () => {
    const backend = memoryBackend();
    const [a, b] = [new Cache(), new Cache()];
    a.setup(backend);
    b.setup(backend);
    const inA = setup({}, a);
    const inB = setup({}, b);
    const members = Array.from({ length: 40 }, (_, i) => `user${i}@example.com`);
    for (const email of members) inA.state.members.add(email);
    await Promise.all(members.map((email, i) => (i % 2 === 0 ? inA : inB).taken.set(email)));
    const answers = await Promise.all(members.map((email) => inA.taken(email)));
    expect(members.filter((_, i) => !answers[i])).toEqual([]);
  });

  it("marks as a no-op reported to onError while the backend is down (suppress), else rejects", async () => {
    const backend = memoryBackend();
    let down = false;
    const flaky = new Proxy(backend, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        return down ? () => Promise.reject(new Error("connection refused")) : value.bind(target);
      },
    });
    const errors: string[] = [];
    const suppressed = setup({}, new Cache().setup(flaky, { onError: (error) => errors.push(error.code) }));
    const strict = setup({}, new Cache().setup(flaky, { suppress: false }));
    await suppressed.taken.set("warm-up");
    await strict.taken.set("warm-up");
    down = true;
    await expect(suppressed.taken.set("ada@example.com")).resolves.toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    await expect(strict.taken.set("ada@example.com")).rejects.toBeInstanceOf(CacheBackendError);
  });

  it("keeps its bits as Uint8Array blocks under hidden internal keys, one filter per function", async () => {
    const cache = new Cache();
    const a = setup({ name: "a" }, cache);
    const b = setup({ name: "b" }, cache);
    await a.taken.set("x");
    expect(await b.taken("x")).toBe(false);
    expect(b.state.runs).toBe(0);
    const visible: string[] = [];
    for await (const key of cache.scan("*")) visible.push(key);
    expect(visible).toEqual([]);
    const blocks: [string, unknown][] = [];
    for await (const entry of cache.getMatch("__isocache__:bloom:a:*")) blocks.push(entry);
    expect(blocks.length).toBeGreaterThan(0);
    for (const [key, value] of blocks) {
      expect(key).toMatch(/^__isocache__:bloom:a:3x4096x7:\d$/);
      expect(value).toBeInstanceOf(Uint8Array);
      expect((value as Uint8Array).length).toBe(512);
    }
  });

  it("clear() empties the filter; invalidate cannot remove one member", async () => {
    const { state, taken } = setup({ key: "mail:{email:lower}" });
    state.members.add("ADA@x");
    await taken.set("ADA@x");
    expect(await taken.key("ADA@x")).toBe("mail:ada@x");
    expect(await taken("ada@x")).toBe(false); // the same key, so the filter let it through to the function
    expect(state.runs).toBe(1);
    expect(await taken.invalidate("ADA@x")).toBe(false);
    expect(await taken("ADA@x")).toBe(true);
    await taken.clear();
    expect(await taken("ADA@x")).toBe(false);
    expect(await taken.refresh("ADA@x")).toBe(true);
  });

  it("calls straight through while the cache is disabled", async () => {
    const { cache, state, taken } = setup();
    state.members.add("z");
    expect(await cache.disabling(() => taken("z"))).toBe(true);
    await cache.disabling(() => taken.set("z"));
    expect(await taken("z")).toBe(false);
  });

  it("throws CacheConfigError when wrapped with a bad size, rate or option", () => {
    const cache = new Cache();
    const fn = async function fn(id: string) {
      return id === "";
    };
    const wrap = (options: Partial<Options>) => () =>
      cache.bloom({ capacity: 100, falsePositives: 1, ...options })(fn);
    for (const capacity of [0, -1, 1.5, Number.NaN, undefined as never])
      expect(wrap({ capacity })).toThrow(/capacity/);
    for (const falsePositives of [0, 100, -1, 150, Number.NaN])
      expect(wrap({ falsePositives })).toThrow(/falsePositives/);
    expect(wrap({ capacity: 1e9, falsePositives: 0.0001 })).toThrow(/over 2\^32/);
    for (const option of [{ ttl: "1h" }, { tags: ["t"] }, { lock: true }])
      expect(wrap(option)).toThrow(/has no meaning/);
    expect(wrap({ key: "{missing}" })).toThrow(CacheConfigError);
    expect(() => cache.bloom({ capacity: 10, falsePositives: 1 })(async () => true)).toThrow(
      CacheConfigError,
    );
    expect(() => cache.bloom({ capacity: 10, falsePositives: 1, key: () => "k" })(async () => true)).toThrow(
      /name/,
    );
    expect(wrap({ capacity: 10, falsePositives: 0.5 })).not.toThrow();
  });
});
