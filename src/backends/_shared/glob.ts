// Redis glob matching (the `KEYS` / `SCAN MATCH` dialect) for backends that match keys themselves.
// The parser follows Redis' `stringmatchlen` step by step, quirks included, so a pattern selects
// the same keys here as on a real Redis server: `[^a]` negates (`!` is an ordinary character),
// an unterminated `[` opens a class that runs to the end of the pattern, `[z-a]` is `[a-z]`, and a
// trailing `\` is a literal backslash. One difference: Redis compares bytes, this compares code
// points, so `?` matches one character such as "é" where Redis needs `??`.

type ClassPart = string | readonly [low: string, high: string];

type Token =
  | { readonly kind: "literal"; readonly char: string }
  | { readonly kind: "any" }
  | { readonly kind: "star" }
  | { readonly kind: "class"; readonly negate: boolean; readonly parts: readonly ClassPart[] };

/** A compiled glob: its matcher, the literal text every match starts with, and whether it names one key. */
export interface CompiledGlob {
  readonly regexp: RegExp;
  readonly prefix: string;
  readonly literal: boolean;
}

const ANY: Token = { kind: "any" };
const STAR: Token = { kind: "star" };
const CACHE_LIMIT = 256;
const compiled = new Map<string, CompiledGlob>();

/**
 * Compiles a Redis glob into an anchored, case-sensitive RegExp: `*` any run (empty too, `:`
 * too), `?` one character, `[abc]`, `[a-z]`, `[^a]`, `\x` for a literal `x`; every other
 * character is literal. Compiled patterns are cached and shared, so never mutate the result.
 * Matching cost is O(key length × pattern length) whatever the pattern (no catastrophic backtracking).
 * @example globToRegExp("user:*:name").test("user:42:name") // true
 */
export function globToRegExp(pattern: string): RegExp {
  return compileGlob(pattern).regexp;
}

/**
 * The literal text every matching key starts with: the pattern up to its first `*`, `?` or `[`,
 * escapes resolved (`"user\\*:*"` → `"user*:"`). Equal to the only matching key when
 * `isLiteralGlob(pattern)`.
 */
export function globPrefix(pattern: string): string {
  return compileGlob(pattern).prefix;
}

/**
 * `globToRegExp`, `globPrefix` and `isLiteralGlob` of `pattern` from one (cached) compilation,
 * for a backend's `scan`: a literal pattern is one key to check, any other a prefix to list.
 */
export function parseGlob(pattern: string): CompiledGlob {
  return compileGlob(pattern);
}

/** True when the pattern has no `*`, `?` or `[` (escapes aside), so it matches exactly one key: `globPrefix(pattern)`. */
export function isLiteralGlob(pattern: string): boolean {
  return compileGlob(pattern).literal;
}

function compileGlob(pattern: string): CompiledGlob {
  const hit = compiled.get(pattern);
  if (hit !== undefined) return hit;
  const tokens = tokenize(pattern);
  let prefix = "";
  let count = 0;
  for (const token of tokens) {
    if (token.kind !== "literal") break;
    prefix += token.char;
    count++;
  }
  const glob: CompiledGlob = { regexp: toRegExp(tokens), prefix, literal: count === tokens.length };
  // Oldest first out: a bounded map keeps a program that builds patterns from input from leaking.
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, glob);
  return glob;
}

function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (char === "*") {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else if (char === "?") {
      tokens.push(ANY);
    } else if (char === "[") {
      i = readClass(chars, i + 1, tokens);
    } else if (char === "\\" && i + 1 < chars.length) {
      tokens.push({ kind: "literal", char: chars[++i] as string });
    } else {
      tokens.push({ kind: "literal", char });
    }
  }
  return tokens;
}

/** Reads a class whose body starts at `start`; returns the index of its closing `]` (or the last index). */
function readClass(chars: readonly string[], start: number, tokens: Token[]): number {
  const end = chars.length;
  const negate = chars[start] === "^";
  const parts: ClassPart[] = [];
  let i = negate ? start + 1 : start;
  for (; ; i++) {
    const char = chars[i];
    if (char === "\\" && end - i >= 2) {
      parts.push(chars[++i] as string);
    } else if (char === "]") {
      break;
    } else if (char === undefined) {
      // Redis: an unterminated class runs to the end of the pattern.
      i = end - 1;
      break;
    } else if (end - i >= 3 && chars[i + 1] === "-") {
      // Redis takes the character after `-` as the range end even when it is `]` or `\`.
      parts.push(ordered(char, chars[i + 2] as string));
      i += 2;
    } else {
      parts.push(char);
    }
  }
  tokens.push({ kind: "class", negate, parts });
  return i;
}

function ordered(a: string, b: string): readonly [string, string] {
  return (a.codePointAt(0) as number) <= (b.codePointAt(0) as number) ? [a, b] : [b, a];
}

// `*` between two fixed-width segments matches up to the leftmost occurrence of the next segment:
// if any match exists, that one does. A lookahead (atomic in JS) finds it and a backreference
// consumes it, so the engine never retries other splits: `*a*a*a*b` cannot go exponential.
function toRegExp(tokens: readonly Token[]): RegExp {
  const segments: string[] = [""];
  for (const token of tokens) {
    if (token.kind === "star") segments.push("");
    else segments[segments.length - 1] += tokenSource(token);
  }
  let source = `^${segments[0]}`;
  const last = segments.length - 1;
  for (let i = 1; i < last; i++) source += `(?=([^]*?${segments[i]}))\\${i}`;
  if (last > 0) source += `[^]*${segments[last]}`;
  return new RegExp(`${source}$`, "u");
}

function tokenSource(token: Exclude<Token, { kind: "star" }>): string {
  switch (token.kind) {
    case "literal":
      return escapeChar(token.char);
    case "any":
      return "[^]";
    case "class": {
      let body = token.negate ? "^" : "";
      for (const part of token.parts) {
        body += typeof part === "string" ? escapeChar(part) : `${escapeChar(part[0])}-${escapeChar(part[1])}`;
      }
      return `[${body}]`;
    }
  }
}

function escapeChar(char: string): string {
  return /^[A-Za-z0-9_]$/.test(char) ? char : `\\u{${(char.codePointAt(0) as number).toString(16)}}`;
}
