import { type Harness, MISS } from "./basic-harness";

/** SPEC 4 rows: ping, clear, getKeysCount, close, setRaw / getRaw. */
export function adminTests(h: Harness): void {
  const { t } = h;

  t.describe("ping / clear / getKeysCount / close", () => {
    t.it('ping answers "PONG", or echoes the message', async () => {
      const c = await h.open();
      t.expect(await c.ping()).toBe("PONG");
      t.expect(await c.ping("hello there")).toBe("hello there");
    });

    t.it("getKeysCount is 0 on an empty storage and counts each stored key once", async () => {
      const c = await h.open();
      t.expect(await c.getKeysCount()).toBe(0);
      await c.setMany({ a: 1, b: 2, c: 3 });
      await c.set("a", "overwritten");
      t.expect(await c.getKeysCount()).toBe(3);
      await c.delete("b");
      t.expect(await c.getKeysCount()).toBe(2);
    });

    t.it("clear removes every key", async () => {
      const c = await h.open();
      await c.setMany({ a: 1, b: 2 });
      await c.set("with-ttl", 3, { ttl: "1h" });
      await c.clear();
      t.expect(await c.getKeysCount()).toBe(0);
      t.expect(await c.getMany(["a", "b", "with-ttl"], MISS)).toEqual([MISS, MISS, MISS]);
      t.expect(await c.set("a", "again")).toBe(true);
      t.expect(await c.get("a")).toBe("again");
    });

    t.it("close resolves, on a used cache, twice, and on a cache never used", async () => {
      const used = await h.open();
      await used.set("k", 1);
      await used.close();
      await used.close();
      const unused = await h.open();
      await unused.close();
    });
  });

  t.describe("setRaw / getRaw", () => {
    t.it("getRaw returns exactly the string setRaw stored", async () => {
      const c = await h.open();
      const texts = ["plain", "", '{"looks":"like json"}', "ünïcødé 🙂 \u0000 line\nbreak"];
      for (const [index, text] of texts.entries()) {
        await c.setRaw(`raw:${index}`, text);
        t.expect(await c.getRaw(`raw:${index}`)).toBe(text);
      }
    });

    t.it("getRaw of a missing key is undefined", async () => {
      const c = await h.open();
      t.expect(await c.getRaw("missing")).toBeUndefined();
    });

    t.it("getRaw of a set value is a string; setRaw of it under another key copies the value", async () => {
      const c = await h.open();
      const value = { when: new Date(0), tags: new Set(["a"]) };
      await c.set("source", value);
      const raw = await c.getRaw("source");
      t.expect(typeof raw).toBe("string");
      await c.setRaw("copy", raw as string);
      t.expect(await c.get("copy")).toEqual(value);
    });
  });
}
