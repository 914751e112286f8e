import { type Harness, MISS, rejection, scanSorted, scenario } from "./basic-harness";
import type { CacheLike } from "./types";

const BAD_KEYS: readonly (readonly [string, unknown])[] = [
  ["an empty string", ""],
  ["a number", 1],
  ["undefined", undefined],
  ["null", null],
  ["an object", {}],
  // Half of an emoji: Redis, Upstash and KV keep keys as UTF-8, where every lone surrogate becomes
  // U+FFFD, so "x\ud800" and "x\udc00" would be one key there.
  ["a string with a lone surrogate", "x\ud800"],
];

/** Every keyed command, called with `key` (alone, or among valid keys for the batch ones). */
const KEYED_CALLS: readonly (readonly [string, (c: CacheLike, key: string, onRun: () => void) => unknown])[] =
  [
    ["get", (c, key) => c.get(key)],
    ["set", (c, key) => c.set(key, 1)],
    ["exists", (c, key) => c.exists(key)],
    ["delete", (c, key) => c.delete(key)],
    [
      "getOrSet",
      (c, key, onRun) =>
        c.getOrSet(key, () => {
          onRun();
          return 1;
        }),
    ],
    ["incr", (c, key) => c.incr(key)],
    ["expire", (c, key) => c.expire(key, "1s")],
    ["getExpire", (c, key) => c.getExpire(key)],
    ["setLock", (c, key) => c.setLock(key, "token", "1s")],
    ["unlock", (c, key) => c.unlock(key, "token")],
    ["isLocked", (c, key) => c.isLocked(key)],
    ["lock", (c, key, onRun) => c.lock(key, { ttl: "1s", wait: false }, onRun)],
    ["setRaw", (c, key) => c.setRaw(key, "raw")],
    ["getRaw", (c, key) => c.getRaw(key)],
    ["getMany", (c, key) => c.getMany(["valid", key])],
    [
      "setMany",
      (c, key) =>
        c.setMany([
          ["valid", 1],
          [key, 2],
        ]),
    ],
    ["deleteMany", (c, key) => c.deleteMany(["valid", key])],
  ];

// Keys a storage must keep apart and give back unchanged: path-like, reserved file names, case
// variants, glob and regex characters, whitespace, non-ASCII, and a long one.
const ODD_KEYS = [
  "a/b",
  "../up",
  ".",
  "..",
  "CON",
  "UPPER",
  "upper",
  "%20",
  "a\\b",
  "*",
  "?",
  "[x]",
  "with space",
  "tab\there",
  "new\nline",
  "ключ 🙂",
  "user:1:profile",
  "x".repeat(200),
];

/**
 * SPEC 4: a key that is not a non-empty string throws TypeError; any other string is a key. The
 * error is an isocache error too (SPEC 9: every error extends CacheError): a CacheArgumentError,
 * with code E_ARGUMENT, for which `instanceof CacheError` and `CacheError.is` hold.
 */
export function keyTests(h: Harness): void {
  const { t } = h;

  t.describe("keys", () => {
    for (const [label, bad] of BAD_KEYS) {
      t.it(`every keyed command rejects ${label} as a key with TypeError and touches nothing`, async () => {
        const c = await h.open();
        let ran = false;
        for (const [command, call] of KEYED_CALLS) {
          await scenario(command, async () => {
            const error = await rejection(() =>
              call(c, bad as string, () => {
                ran = true;
              }),
            );
            t.expect(error).toBeInstanceOf(TypeError);
            t.expect(error).toBeInstanceOf(h.lib.CacheArgumentError);
            t.expect(error).toBeInstanceOf(h.lib.CacheError);
            t.expect((error as { code?: string }).code).toBe("E_ARGUMENT");
            t.expect(ran).toBe(false);
          });
        }
        t.expect(await c.getKeysCount()).toBe(0);
      });
    }

    t.it("the message names what was given instead of a key", async () => {
      const c = await h.open();
      const said = async (bad: unknown) => ((await rejection(() => c.get(bad as string))) as Error).message;
      t.expect(await said(undefined)).toContain("got undefined (no key given)");
      t.expect(await said(null)).toContain("got null");
      t.expect(await said(42)).toContain("got number 42");
      t.expect(await said("")).toContain("got an empty string");
      t.expect(await said(() => "k")).toContain("got a function");
      t.expect(await said(["k"])).toContain("got an array");
      t.expect(await said("ab\udc00")).toContain("a lone surrogate at index 2");
    });

    t.it("setMany rejects a record with an empty key with TypeError and stores nothing", async () => {
      const c = await h.open();
      const error = await rejection(() => c.setMany({ valid: 1, "": 2 }));
      t.expect(error).toBeInstanceOf(TypeError);
      t.expect(error).toBeInstanceOf(h.lib.CacheError);
      t.expect(await c.getKeysCount()).toBe(0);
    });

    t.it("CacheError's instanceof: every isocache error, and nothing else; subclasses stay exact", () => {
      const { CacheError, CacheConfigError, CacheArgumentError, CacheValueError } = h.lib;
      const make = (Class: unknown) => new (Class as new (message: string) => Error)("m");
      t.expect(make(CacheConfigError)).toBeInstanceOf(CacheError);
      t.expect(make(CacheArgumentError)).toBeInstanceOf(CacheError);
      t.expect(make(CacheArgumentError)).toBeInstanceOf(TypeError);
      t.expect(make(CacheConfigError) instanceof CacheValueError).toBe(false);
      t.expect(make(CacheArgumentError) instanceof CacheConfigError).toBe(false);
      t.expect(new TypeError("plain") instanceof CacheError).toBe(false);
      t.expect(new Error("plain") instanceof CacheError).toBe(false);
      t.expect(CacheError.is(null)).toBe(false);
    });

    t.it("any non-empty string is a key: each is stored apart, read back and scanned unchanged", async () => {
      const c = await h.open();
      await c.setMany(ODD_KEYS.map((key, index): [string, unknown] => [key, index]));
      t.expect(await c.getMany(ODD_KEYS, MISS)).toEqual(ODD_KEYS.map((_, index) => index));
      t.expect(await scanSorted(c, "*")).toEqual([...ODD_KEYS].sort());
      t.expect(await c.getKeysCount()).toBe(ODD_KEYS.length);
      t.expect(await c.delete("..")).toBe(true);
      t.expect(await c.get(".")).toBe(ODD_KEYS.indexOf("."));
    });
  });
}
