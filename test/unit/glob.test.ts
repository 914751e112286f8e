import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { globPrefix, globToRegExp, isLiteralGlob } from "../../src/backends/_shared/glob";

// [pattern, keys that match, keys that do not]. The quirky rows were checked against
// redis-server 7.0.15 (`KEYS pattern`).
const TABLE: [string, string[], string[]][] = [
  ["user:*", ["user:", "user:1", "user:1:name"], ["user", "users:1", "xuser:1"]],
  ["*", ["", "a", "a:b:c", "*"], []],
  ["*:*:*", ["a:b:c", "a::", "::"], ["a:b", "abc"]],
  ["a*", ["a", "a:b:c", "a*b"], ["ba", ""]],
  ["*b", ["b", "ab", "a:b"], ["ba"]],
  ["a**b", ["ab", "a*b", "aXb", "a:x:b"], ["a", "ba"]],
  ["h?llo", ["hello", "hallo", "h:llo"], ["hllo", "heello"]],
  ["??", ["ab", "é:", "é😀"], ["a", "abc"]],
  ["h[ae]llo", ["hello", "hallo"], ["hillo", "hllo"]],
  ["h[^e]llo", ["hallo", "hbllo"], ["hello", "hllo"]],
  ["h[a-b]llo", ["hallo", "hbllo"], ["hcllo"]],
  ["h[b-a]llo", ["hallo", "hbllo"], ["hcllo"]],
  ["x[0-9][0-9]", ["x00", "x42"], ["x4", "x4a"]],
  ["a[!b]", ["ab", "a!"], ["ac"]],
  ["a[^]", ["ab", "a*", "a["], ["a", "abc"]],
  ["[]a]", [], ["a", "]", "]a]", "a]"]],
  ["a[-b]", ["a-", "ab"], ["ac"]],
  ["a[b-]", ["a]", "a^", "ab", "aa"], ["a-", "ac"]],
  ["a[\\b]", ["ab"], ["a\\", "a\\b"]],
  ["[a-\\z]", ["\\", "]", "^", "_", "a", "z"], ["b", "y"]],
  ["a[bc", ["ab", "ac"], ["a[bc", "a"]],
  ["a[", [], ["a[", "a"]],
  ["a[\\", ["a\\"], ["a["]],
  ["a\\*b", ["a*b"], ["axb", "ab"]],
  ["a\\?b", ["a?b"], ["axb"]],
  ["a\\[b]", ["a[b]"], ["ab"]],
  ["a\\\\b", ["a\\b"], ["ab", "a\\\\b"]],
  ["a\\Xb", ["aXb"], ["a\\Xb"]],
  ["a\\", ["a\\"], ["a"]],
  ["a.b", ["a.b"], ["axb"]],
  ["a+b", ["a+b"], ["aab"]],
  ["(a|b)", ["(a|b)"], ["a", "b"]],
  ["$x^{2}", ["$x^{2}"], ["x^{2}"]],
  ["x/y\\z", ["x/yz"], ["x/y\\z"]],
  ["", [""], ["a"]],
  ["Key", ["Key"], ["key", "KEY"]],
  ["é*", ["é", "éa"], ["e"]],
  ["line*", ["line\nbreak"], ["lin\ne"]],
];

describe("globToRegExp", () => {
  for (const [pattern, yes, no] of TABLE) {
    it(`${JSON.stringify(pattern)} matches ${JSON.stringify(yes)}, not ${JSON.stringify(no)}`, () => {
      const regexp = globToRegExp(pattern);
      for (const key of yes) expect(regexp.test(key), key).toBe(true);
      for (const key of no) expect(regexp.test(key), key).toBe(false);
    });
  }

  it("returns the cached RegExp for a pattern seen before, and stays correct past the cache limit", () => {
    expect(globToRegExp("cache:*")).toBe(globToRegExp("cache:*"));
    for (let i = 0; i < 600; i++) expect(globToRegExp(`k${i}:*`).test(`k${i}:x`)).toBe(true);
    expect(globToRegExp("cache:*").test("cache:1")).toBe(true);
  });

  it("does not backtrack catastrophically on many stars", () => {
    const started = performance.now();
    const key = "a".repeat(5000);
    expect(globToRegExp("*a*a*a*a*a*a*a*a*a*a*b").test(key)).toBe(false);
    expect(globToRegExp("*?*?*?*?*?*?*?*?*b").test(key)).toBe(false);
    expect(globToRegExp("*a*a*a*a*a*a*a*a*a*a*").test(key)).toBe(true);
    // A backtracking translation takes hours here; a generous bound keeps this from flaking.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("agrees with an independent step-by-step Redis matcher on random patterns", () => {
    const char = fc.constantFrom("a", "b", "c", "-", "]", "[", "^", "!", "\\", "*", "?", ":", "é");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 7 }), fc.array(char, { maxLength: 6 }), (p, k) => {
        const pattern = p.join("");
        const key = k.join("");
        expect(globToRegExp(pattern).test(key)).toBe(
          referenceMatch(Array.from(pattern), 0, Array.from(key), 0),
        );
      }),
      { numRuns: 3000 },
    );
  });
});

describe("globPrefix and isLiteralGlob", () => {
  const rows: [string, string, boolean][] = [
    ["user:*", "user:", false],
    ["user:1", "user:1", true],
    ["user\\*:*", "user*:", false],
    ["a\\*", "a*", true],
    ["a?b", "a", false],
    ["a[bc]", "a", false],
    ["a[", "a", false],
    ["*", "", false],
    ["", "", true],
    ["a.b+c", "a.b+c", true],
  ];
  for (const [pattern, prefix, literal] of rows) {
    it(`${JSON.stringify(pattern)} → ${JSON.stringify(prefix)}${literal ? " (literal)" : ""}`, () => {
      expect(globPrefix(pattern)).toBe(prefix);
      expect(isLiteralGlob(pattern)).toBe(literal);
    });
  }
});

/** Redis' matcher written as plain recursion over code points, to cross-check the compiled RegExp. */
function referenceMatch(p: string[], pi: number, s: string[], si: number): boolean {
  while (pi < p.length) {
    const c = p[pi];
    if (c === "*") {
      while (p[pi + 1] === "*") pi++;
      if (pi + 1 === p.length) return true;
      for (let i = si; i <= s.length; i++) if (referenceMatch(p, pi + 1, s, i)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === "?") {
      si++;
    } else if (c === "[") {
      const result = referenceClass(p, pi + 1, s[si] as string);
      if (!result.match) return false;
      pi = result.end;
      si++;
    } else {
      let literal = c;
      if (c === "\\" && pi + 1 < p.length) literal = p[++pi];
      if (literal !== s[si]) return false;
      si++;
    }
    pi++;
  }
  return si === s.length;
}

function referenceClass(p: string[], start: number, ch: string): { match: boolean; end: number } {
  let i = start;
  const not = p[i] === "^";
  if (not) i++;
  let match = false;
  for (; ; i++) {
    if (p[i] === "\\" && p.length - i >= 2) {
      i++;
      if (p[i] === ch) match = true;
    } else if (p[i] === "]") {
      break;
    } else if (i >= p.length) {
      i--;
      break;
    } else if (p.length - i >= 3 && p[i + 1] === "-") {
      let lo = (p[i] as string).codePointAt(0) as number;
      let hi = (p[i + 2] as string).codePointAt(0) as number;
      if (lo > hi) [lo, hi] = [hi, lo];
      const code = ch.codePointAt(0) as number;
      if (code >= lo && code <= hi) match = true;
      i += 2;
    } else if (p[i] === ch) {
      match = true;
    }
  }
  return { match: not ? !match : match, end: i };
}
