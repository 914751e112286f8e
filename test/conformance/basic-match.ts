import { collect, type Harness, matchSorted, rejection, scanSorted } from "./basic-harness";
import type { CacheLike } from "./types";

// Keys chosen so that a pattern treated as a regular expression, or a glob that forgets to
// escape, matches more than the literal key.
const KEYS = [
  "user:1",
  "user:2",
  "user:10",
  "user:a",
  "users",
  "a.b",
  "axb",
  "a+b",
  "aab",
  "ab",
  "(x)",
  "x",
  "b^c",
  "$d",
  "e|f",
  "{g}",
];

/** Pattern → the keys of `KEYS` it must match, sorted. */
const EXPECTED: readonly (readonly [string, readonly string[]])[] = [
  ["user:*", ["user:1", "user:10", "user:2", "user:a"]],
  ["user*", ["user:1", "user:10", "user:2", "user:a", "users"]],
  ["user:?", ["user:1", "user:2", "user:a"]],
  ["user:??", ["user:10"]],
  ["user:[12]", ["user:1", "user:2"]],
  ["user:[a1]", ["user:1", "user:a"]],
  ["a.b", ["a.b"]],
  ["a.*", ["a.b"]],
  ["a+b", ["a+b"]],
  ["a*b", ["a+b", "a.b", "aab", "ab", "axb"]],
  ["(x)", ["(x)"]],
  ["*)", ["(x)"]],
  ["b^c", ["b^c"]],
  ["$d", ["$d"]],
  ["e|f", ["e|f"]],
  ["{g}", ["{g}"]],
  ["nothing*", []],
];

async function seeded(h: Harness): Promise<CacheLike> {
  const c = await h.open();
  await c.setMany(KEYS.map((key): [string, unknown] => [key, { key }]));
  return c;
}

/** SPEC 4 rows: getMatch, scan, deleteMatch (Redis glob: `*`, `?`, `[ab]`, the rest literal). */
export function matchTests(h: Harness): void {
  const { t } = h;

  t.describe("getMatch / scan / deleteMatch", () => {
    t.it("scan yields nothing on an empty storage", async () => {
      const c = await h.open();
      t.expect(await scanSorted(c, "*")).toEqual([]);
    });

    t.it("scan with * yields every key exactly once", async () => {
      const c = await seeded(h);
      t.expect(await scanSorted(c, "*")).toEqual([...KEYS].sort());
    });

    for (const [pattern, keys] of EXPECTED) {
      t.it(
        `scan("${pattern}") yields exactly ${keys.length === 0 ? "nothing" : keys.join(" ")}`,
        async () => {
          const c = await seeded(h);
          t.expect(await scanSorted(c, pattern)).toEqual(keys);
        },
      );
    }

    t.it("getMatch yields [key, value] pairs with decoded values", async () => {
      const c = await seeded(h);
      await c.set("user:date", new Date(86_400_000));
      const pairs = await matchSorted(c, "user:*");
      t.expect(pairs).toEqual([
        ["user:1", { key: "user:1" }],
        ["user:10", { key: "user:10" }],
        ["user:2", { key: "user:2" }],
        ["user:a", { key: "user:a" }],
        ["user:date", new Date(86_400_000)],
      ]);
      t.expect(pairs[4]?.[1]).toBeInstanceOf(Date);
    });

    t.it("getMatch treats regex metacharacters literally", async () => {
      const c = await seeded(h);
      t.expect(await matchSorted(c, "a.b")).toEqual([["a.b", { key: "a.b" }]]);
      t.expect(await matchSorted(c, "nothing*")).toEqual([]);
    });

    t.it("deleteMatch deletes only the matching keys and returns the count", async () => {
      const c = await seeded(h);
      t.expect(await c.deleteMatch("user:*")).toBe(4);
      t.expect(await scanSorted(c, "user*")).toEqual(["users"]);
      t.expect(await c.getKeysCount()).toBe(KEYS.length - 4);
    });

    t.it("deleteMatch with regex metacharacters deletes only the literal key", async () => {
      const c = await seeded(h);
      t.expect(await c.deleteMatch("a.b")).toBe(1);
      t.expect(await c.deleteMatch("(x)")).toBe(1);
      t.expect(await c.exists("axb")).toBe(true);
      t.expect(await c.exists("x")).toBe(true);
      t.expect(await c.getKeysCount()).toBe(KEYS.length - 2);
    });

    t.it("deleteMatch of an unmatched pattern returns 0", async () => {
      const c = await seeded(h);
      t.expect(await c.deleteMatch("nothing*")).toBe(0);
      t.expect(await c.getKeysCount()).toBe(KEYS.length);
    });

    // Redis, Upstash and KV read text as UTF-8, where a lone surrogate turns into U+FFFD: there
    // the pattern would match other keys than it does in memory.
    t.it(
      "a pattern with a lone surrogate is a CacheArgumentError for scan, getMatch and deleteMatch",
      async () => {
        const c = await seeded(h);
        await c.set("x\ufffd", "replacement");
        const calls: [string, () => Promise<unknown>][] = [
          ["scan", () => collect(c.scan("x\ud800"))],
          ["getMatch", () => collect(c.getMatch("*\udc00"))],
          ["deleteMatch", () => c.deleteMatch("x\ud800*")],
          ["deleteMatch, low half first", () => c.deleteMatch("\udc00\ud800")],
        ];
        for (const [what, call] of calls) {
          const error = await rejection(call);
          t.expect([what, error instanceof h.lib.CacheArgumentError]).toEqual([what, true]);
          t.expect([what, /lone surrogate/.test((error as Error).message)]).toEqual([what, true]);
        }
        t.expect(await c.getKeysCount()).toBe(KEYS.length + 1);
        // A whole emoji is a pattern like any other.
        t.expect(await scanSorted(c, "x🙂*")).toEqual([]);
      },
    );
  });
}
