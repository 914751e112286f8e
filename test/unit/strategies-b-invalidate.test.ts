import { describe, expect, it } from "vitest";
import { Cache, CacheConfigError } from "../../runtimes/node";

/** A cached reader keyed `user:{id}` that counts its loads. */
function users(cache = new Cache()) {
  const loads = { count: 0 };
  const getUser = cache.cached({ ttl: "1h", key: "user:{id}" })(async function getUser(id: string) {
    loads.count++;
    return { id, load: loads.count };
  });
  return { cache, loads, getUser };
}

async function keys(cache: Cache, pattern = "*"): Promise<string[]> {
  const out: string[] = [];
  for await (const key of cache.scan(pattern)) out.push(key);
  return out.sort();
}

describe("invalidate", () => {
  it("deletes the template's key for the call's arguments once the call resolves", async () => {
    const { cache, loads, getUser } = users();
    await getUser("1");
    await getUser("2");
    let seen: string[] | undefined;
    const rename = cache.invalidate("user:{id}")(async function rename(id: string, name: string) {
      seen = await keys(cache); // still there while the call runs
      return `${id}=${name}`;
    });
    expect(await rename("1", "Ada")).toBe("1=Ada");
    expect(seen).toEqual(["user:1", "user:2"]);
    expect(await keys(cache)).toEqual(["user:2"]);
    expect(await getUser("1")).toEqual({ id: "1", load: 3 });
    expect(loads.count).toBe(3);
    expect(rename.stats()).toMatchObject({ loads: 1, loadFailures: 0 });
  });

  it("maps target names to this function's parameters, positions and paths through argsMap", async () => {
    const { cache, getUser } = users();
    for (const id of ["1", "2", "3"]) await getUser(id);
    const byName = cache.invalidate("user:{id}", { argsMap: { id: "userId" } })(async function a(
      _name: string,
      userId: string,
    ) {
      return userId;
    });
    const byPath = cache.invalidate("user:{id}", { argsMap: { id: "user.id" } })(async function b(user: {
      id: string;
    }) {
      return user.id;
    });
    const byPosition = cache.invalidate("user:{id}", { argsMap: { id: "1" } })(async function c(
      _x: unknown,
      _y: unknown,
    ) {});
    await byName("x", "1");
    await byPath({ id: "2" });
    await byPosition(0, "3");
    expect(await keys(cache)).toEqual([]);
    expect(await byName.key("x", "9")).toBe("user:9");
  });

  it("invalidates nothing when the call throws", async () => {
    const { cache, getUser } = users();
    await getUser("1");
    const update = cache.invalidate("user:{id}")(async function update(id: string) {
      throw new Error(`cannot update ${id}`);
    });
    await expect(update("1")).rejects.toThrow("cannot update 1");
    expect(await keys(cache)).toEqual(["user:1"]);
    expect(update.stats()).toMatchObject({ loads: 0, loadFailures: 1 });
  });

  it("treats * as a wildcard and escapes glob characters in the arguments", async () => {
    const cache = new Cache();
    await cache.setMany([
      ["page:a:1", 1],
      ["page:a:2", 2],
      ["page:ab:1", 3],
      ["page:a*:1", 4],
    ]);
    const clearUser = cache.invalidate("page:{user}:*")(async function clearUser(user: string) {
      return user;
    });
    expect(await clearUser.key("a")).toBe("page:a:*");
    await clearUser("a*");
    expect(await keys(cache)).toEqual(["page:a:1", "page:a:2", "page:ab:1"]);
    await clearUser("a");
    expect(await keys(cache)).toEqual(["page:ab:1"]);
  });

  it("matches anything where a placeholder renders empty, but never deletes everything", async () => {
    const cache = new Cache();
    await cache.setMany({ "items:1": 1, "items:2": 2, "other:1": 3, "1": 4 });
    const save = cache.invalidate("items:{page}")(async function save(item: string, page?: number) {
      return [item, page];
    });
    await save("x", 2);
    expect(await keys(cache)).toEqual(["1", "items:1", "other:1"]);
    expect(await save.key("x")).toBe("items:*");
    await save("x");
    expect(await keys(cache)).toEqual(["1", "other:1"]);
    const bare = cache.invalidate("{id}")(async function bare(id?: string) {
      return id;
    });
    await bare();
    expect(await bare.invalidate()).toBe(false);
    expect(await keys(cache)).toEqual(["1", "other:1"]);
    await bare("1");
    expect(await keys(cache)).toEqual(["other:1"]);
  });

  it("invalidates another cached function's key, by the same positions or mapped ones", async () => {
    const { cache, loads, getUser } = users();
    await getUser("1");
    await getUser("2");
    const touch = cache.invalidate(getUser)(async function touch(id: string) {
      return id;
    });
    await touch("1");
    expect(await keys(cache)).toEqual(["user:2"]);
    const move = cache.invalidate(getUser, { argsMap: { 0: "from.id" } })(async function move(
      _to: string,
      from: { id: string },
    ) {
      return from;
    });
    await move("x", { id: "2" });
    expect(await keys(cache)).toEqual([]);
    await getUser("2");
    expect(loads.count).toBe(3);
    expect(await move.key("x", { id: "7" })).toBe("user:7");
  });

  it("works on methods, with the instance passed to the target's key", async () => {
    const cache = new Cache();
    class Repo {
      loads = 0;
      async find(id: number) {
        return { id, load: ++this.loads };
      }
      async save(id: number) {
        return id;
      }
    }
    // Node cannot parse decorator syntax: the TC39 call is made by hand.
    const method = (name: string) => ({ kind: "method", name }) as ClassMethodDecoratorContext;
    Repo.prototype.find = cache.cached({ ttl: "1h" })(Repo.prototype.find, method("find"));
    Repo.prototype.save = cache.invalidate(Repo.prototype.find as never)(Repo.prototype.save, method("save"));
    const repo = new Repo();
    await repo.find(1);
    await repo.find(1);
    expect(repo.loads).toBe(1);
    await repo.save(1);
    await repo.find(1);
    expect(repo.loads).toBe(2);
  });

  it("deletes nothing while the cache is disabled; invalidate() deletes without calling", async () => {
    const { cache, getUser } = users();
    await getUser("1");
    let runs = 0;
    const touch = cache.invalidate("user:{id}")(function touch(id: string) {
      runs++;
      return id;
    });
    expect(await cache.disabling(() => touch("1"))).toBe("1");
    expect(await keys(cache)).toEqual(["user:1"]);
    expect(await touch.invalidate("1")).toBe(true);
    expect(await keys(cache)).toEqual([]);
    expect(runs).toBe(1);
    expect(await touch.refresh("1")).toBe("1");
    expect(runs).toBe(2);
  });

  it("keeps formatters and literal braces of the template, with mapped names", async () => {
    const cache = new Cache();
    await cache.setMany({ "{v}:user:ada": 1, "{v}:user:bob": 2 });
    const rename = cache.invalidate("{{v}}:user:{id:lower}", { argsMap: { id: "who.name" } })(
      async function rename(who: { name: string }) {
        return who.name;
      },
    );
    expect(await rename.key({ name: "ADA" })).toBe("{v}:user:ada");
    await rename({ name: "ADA" });
    expect(await keys(cache)).toEqual(["{v}:user:bob"]);
  });

  it("maps a cached-function target's parameters by name", async () => {
    const { cache, getUser } = users();
    await getUser("ada");
    const rename = cache.invalidate(getUser, { argsMap: { id: "userId" } })(async function rename(
      name: string,
      userId: string,
    ) {
      return `${userId}:${name}`;
    });
    expect(await keys(cache)).toEqual(["user:ada"]);
    await rename("Ada", "ada");
    expect(await keys(cache)).toEqual([]);
  });

  it("throws CacheConfigError when wrapped with a bad target or argsMap", async () => {
    const { cache, getUser } = users();
    const fn = async function fn(id: string) {
      return id;
    };
    expect(() => cache.invalidate("user:{nope}")(fn)).toThrow(CacheConfigError);
    expect(() => cache.invalidate("user:{id")(fn)).toThrow(CacheConfigError);
    expect(() => cache.invalidate("")(fn)).toThrow(CacheConfigError);
    expect(() => cache.invalidate(42 as never)(fn)).toThrow(/target/);
    expect(() => cache.invalidate((() => 1) as never)(fn)).toThrow(/target/);
    expect(() => cache.invalidate("user:{id}", { argsMap: { id: "missing" } })(fn)).toThrow(CacheConfigError);
    expect(() => cache.invalidate("user:{id}", { argsMap: { idd: "id" } })(fn)).toThrow(/does not use/);
    expect(() => cache.invalidate("user:{id}", { argsMap: { id: "" } })(fn)).toThrow(/argsMap/);
    expect(() => cache.invalidate(getUser, { argsMap: { userId: "id" } })(fn)).toThrow(
      /names no parameter of the target/,
    );
    expect(() => cache.invalidate(getUser, { argsMap: { 0: "nope" } })(fn)).toThrow(/no parameter/);
    expect(() => cache.invalidate("user:{id}")(async (id: string) => id)).not.toThrow();
  });
});
