// Real decorator syntax, both proposals: TypeScript compiles a class that uses `@cache.cached(...)`
// once as TC39 standard decorators and once with `experimentalDecorators`, and the emitted
// JavaScript runs against the node entry. (vitest's own transform cannot lower TC39 decorators,
// so the class is compiled here by the compiler users build with.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { Cache, CacheArgumentError } from "../../runtimes/node";

const SOURCE = `
export function build(cache, calls) {
  class Repo {
    factor = 10;
    @cache.cached({ ttl: "1m", key: "repo:{id}" })
    async find(id) { calls.push(id); return { id, scaled: id * this.factor }; }
    @cache.rateLimit({ limit: 1, period: "1m", key: "limit:{id}" })
    async once(id) { return id; }
    @cache.cached({ ttl: "1m" })
    async auto(id) { calls.push(-id); return id; }
    static base = 100;
    @cache.cached({ ttl: "1m" })
    static async total(id) { calls.push(1000 + id); return this.base + id; }
    @cache.hit({ ttl: "1m", cacheHits: 5 })
    static async popular(id) { calls.push(2000 + id); return this.base * id; }
  }
  class Special extends Repo {}
  Repo.Special = Special;
  return Repo;
}`;

const dir = mkdtempSync(join(tmpdir(), "isocache-decorators-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Repo = {
  find(id: number): Promise<{ id: number; scaled: number }>;
  once(id: number): Promise<number>;
  auto(id: number): Promise<number>;
};
type Static = ((id: number) => Promise<number>) & Extras & { refresh(id: number): Promise<number> };
type RepoClass = (new () => Repo) & { Special: new () => Repo; total: Static; popular: Static };
type Build = (cache: Cache, calls: number[]) => RepoClass;
type Extras = { key(id: number): Promise<string>; invalidate(id: number): Promise<boolean> };

async function compile(experimentalDecorators: boolean): Promise<Build> {
  const output = ts.transpileModule(SOURCE, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      experimentalDecorators,
    },
  }).outputText;
  const file = join(dir, `repo-${experimentalDecorators ? "legacy" : "tc39"}.mjs`);
  writeFileSync(file, output);
  const mod = (await import(pathToFileURL(file).href)) as { build: Build };
  return mod.build;
}

describe.each([
  ["TC39 standard decorators", false],
  ["legacy experimentalDecorators", true],
])("decorator syntax: %s", (_name, legacy) => {
  it("caches a method per key, keeps `this`, and other strategies decorate too", async () => {
    const cache = new Cache();
    const calls: number[] = [];
    const Repo = (await compile(legacy))(cache, calls);
    const repo = new Repo();
    expect(await repo.find(1)).toEqual({ id: 1, scaled: 10 });
    expect(await new Repo().find(1)).toEqual({ id: 1, scaled: 10 });
    expect(await repo.find(2)).toEqual({ id: 2, scaled: 20 });
    expect(calls).toEqual([1, 2]);
    expect(await cache.get("repo:1")).toEqual({ id: 1, scaled: 10 });
    expect(await repo.once(7)).toBe(7);
    await expect(repo.once(7)).rejects.toThrow(/rate/i);
    await cache.close();
  });

  it("the decorated method gains invalidate and refresh", async () => {
    const cache = new Cache();
    const calls: number[] = [];
    const Repo = (await compile(legacy))(cache, calls);
    const find = Repo.prototype.find as unknown as { invalidate(id: number): Promise<boolean> };
    await new Repo().find(3);
    expect(await find.invalidate(3)).toBe(true);
    await new Repo().find(3);
    expect(calls).toEqual([3, 3]);
    await cache.close();
  });

  it("an automatic key names the defining class, and key() and invalidate() agree with calls", async () => {
    const cache = new Cache();
    const calls: number[] = [];
    const Repo = (await compile(legacy))(cache, calls);
    const auto = Repo.prototype.auto as unknown as Extras;
    await new Repo.Special().auto(5);
    const keys: string[] = [];
    for await (const key of cache.scan("*")) keys.push(key);
    expect(keys).toEqual([await auto.key(5)]);
    expect(keys[0]).toMatch(/^Repo\.auto/);
    await new Repo().auto(5);
    expect(calls).toEqual([-5]);
    expect(await auto.invalidate(5)).toBe(true);
    await new Repo().auto(5);
    expect(calls).toEqual([-5, -5]);
    await cache.close();
  });

  it("before any instance, an automatic key's extras give the key calls use, or refuse", async () => {
    const cache = new Cache();
    const calls: number[] = [];
    const Repo = (await compile(legacy))(cache, calls);
    const auto = Repo.prototype.auto as unknown as Extras;
    // TC39 decorators tell a method its class only when an instance is made: until then its
    // automatic key cannot be known, and "auto:5" would invalidate nothing the calls stored.
    const before = await auto.key(5).catch((error: unknown) => error);
    const invalidated = await auto.invalidate(5).catch((error: unknown) => error);
    await new Repo().auto(5);
    const after = await auto.key(5);
    expect(after).toMatch(/^Repo\.auto:/);
    if (legacy) {
      expect(before).toBe(after);
      expect(invalidated).toBe(false);
    } else {
      for (const error of [before, invalidated]) {
        expect(error).toBeInstanceOf(CacheArgumentError);
        expect((error as Error).message).toMatch(/instance/);
      }
    }
    expect(await auto.invalidate(5)).toBe(true);
    await cache.close();
  });

  it("a static method's extras run it on its class: refresh keeps `this`, key and invalidate agree with calls", async () => {
    const cache = new Cache();
    const calls: number[] = [];
    const Repo = (await compile(legacy))(cache, calls);
    expect(await Repo.total(1)).toBe(101);
    expect(await Repo.total.refresh(1)).toBe(101);
    expect(await Repo.popular.refresh(2)).toBe(200);
    expect(calls).toEqual([1001, 1001, 2002]);
    expect(await Repo.total.key(1)).toMatch(/^Repo\.total/);
    expect(await cache.get(await Repo.total.key(1))).toBe(101);
    expect(await Repo.total.invalidate(1)).toBe(true);
    expect(await Repo.total(1)).toBe(101);
    expect(calls).toEqual([1001, 1001, 2002, 1001]);
    await cache.close();
  });
});
