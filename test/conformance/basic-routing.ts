import { type Harness, MISS, matchSorted, scanSorted } from "./basic-harness";
import type { CacheLike } from "./types";

/** Two storages: "user…" keys routed to `users`, everything else to `rest`; plus a cache on each alone. */
async function twoRoutes(h: Harness): Promise<{ routed: CacheLike; users: CacheLike; rest: CacheLike }> {
  const userStore = await h.store();
  const restStore = await h.store();
  const routed = h.cache().setup(userStore, { prefix: "user" }).setup(restStore);
  return { routed, users: h.attach(userStore), rest: h.attach(restStore) };
}

/** SPEC 2 `prefix`: keys starting with a prefix go to its backend; the longest prefix wins. */
export function routingTests(h: Harness): void {
  const { t } = h;

  t.describe("prefix routing", () => {
    t.it("writes go to the backend whose prefix starts the key, others to the default", async () => {
      const { routed, users, rest } = await twoRoutes(h);
      await routed.setMany({ "user:1": "alice", username: "u", "post:1": "hello" });
      t.expect(await users.getMany(["user:1", "username", "post:1"], MISS)).toEqual(["alice", "u", MISS]);
      t.expect(await rest.getMany(["user:1", "username", "post:1"], MISS)).toEqual([MISS, MISS, "hello"]);
    });

    t.it("reads come from the backend the key routes to", async () => {
      const { routed, users, rest } = await twoRoutes(h);
      await users.set("user:1", "in users");
      await rest.set("user:2", "in the wrong storage");
      await rest.set("post:1", "in rest");
      t.expect(await routed.get("user:1")).toBe("in users");
      t.expect(await routed.get("user:2", MISS)).toBe(MISS);
      t.expect(await routed.get("post:1")).toBe("in rest");
    });

    t.it("the longest matching prefix wins, whatever the setup order", async () => {
      const [userStore, adminStore, restStore] = [await h.store(), await h.store(), await h.store()];
      const shortFirst = h
        .cache()
        .setup(userStore, { prefix: "user" })
        .setup(adminStore, { prefix: "user:admin" });
      const longFirst = h
        .cache()
        .setup(adminStore, { prefix: "user:admin" })
        .setup(userStore, { prefix: "user" });
      shortFirst.setup(restStore);
      longFirst.setup(restStore);
      await shortFirst.set("user:admin:1", 1);
      await longFirst.set("user:admin:2", 2);
      await shortFirst.set("user:3", 3);
      await longFirst.set("user:4", 4);
      t.expect(await scanSorted(h.attach(adminStore), "*")).toEqual(["user:admin:1", "user:admin:2"]);
      t.expect(await scanSorted(h.attach(userStore), "*")).toEqual(["user:3", "user:4"]);
      t.expect(await h.attach(restStore).getKeysCount()).toBe(0);
    });

    t.it("getMany across backends keeps key order", async () => {
      const { routed } = await twoRoutes(h);
      await routed.setMany({ a1: "A1", "user:1": "U1", "user:2": "U2", a2: "A2" });
      const keys = ["a1", "user:1", "missing", "user:2", "a2", "user:missing", "user:1"];
      t.expect(await routed.getMany(keys, MISS)).toEqual(["A1", "U1", MISS, "U2", "A2", MISS, "U1"]);
    });

    t.it("scan and getMatch span every backend", async () => {
      const { routed } = await twoRoutes(h);
      await routed.setMany({ "user:1": 1, "post:1": 2, "user:2": 3 });
      t.expect(await scanSorted(routed, "*")).toEqual(["post:1", "user:1", "user:2"]);
      t.expect(await scanSorted(routed, "*:1")).toEqual(["post:1", "user:1"]);
      t.expect(await matchSorted(routed, "*")).toEqual([
        ["post:1", 2],
        ["user:1", 1],
        ["user:2", 3],
      ]);
    });

    t.it("getKeysCount sums every backend and clear empties them all", async () => {
      const { routed, users, rest } = await twoRoutes(h);
      await routed.setMany({ "user:1": 1, "user:2": 2, "post:1": 3 });
      t.expect(await routed.getKeysCount()).toBe(3);
      await routed.clear();
      t.expect(await routed.getKeysCount()).toBe(0);
      t.expect(await users.getKeysCount()).toBe(0);
      t.expect(await rest.getKeysCount()).toBe(0);
    });

    t.it("deleteMany and deleteMatch count across backends", async () => {
      const { routed, users, rest } = await twoRoutes(h);
      await routed.setMany({ "user:1": 1, "user:2": 2, "post:1": 3, "post:2": 4 });
      t.expect(await routed.deleteMany(["user:1", "post:1", "missing"])).toBe(2);
      t.expect(await routed.deleteMatch("*:2")).toBe(2);
      t.expect(await users.getKeysCount()).toBe(0);
      t.expect(await rest.getKeysCount()).toBe(0);
    });
  });
}
