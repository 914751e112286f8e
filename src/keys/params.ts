/**
 * Parameter names read from a function's source text (`Function.prototype.toString`), without
 * evaluating anything: Workers forbid `eval`/`new Function`, and a small lexer is enough to find
 * the parameter list and split it at its top-level commas.
 */

/** What `parameterInfo` learns about a function's parameter list. */
export interface ParameterInfo {
  /** One entry per declared parameter; `undefined` for a destructured pattern, which has no single name. */
  readonly names: readonly (string | undefined)[];
  /** The last entry is a rest parameter (`...rest`): it collects every argument from its position on. */
  readonly rest: boolean;
  /** No parameter list was visible (native or bound function, or a class without one): names are unknown. */
  readonly opaque: boolean;
}

type TokenKind = "id" | "punct" | "string" | "template" | "regex" | "number";

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const ID_RE =
  /#?(?:[$_\p{ID_Start}]|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\})(?:[$\p{ID_Continue}]|\u200c|\u200d|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\})*/uy;
const NUMBER_RE = /\.?\d(?:[eE][+-]|[\w.])*/y;
const SPACE_RE = /\s+/y;
// After these words a `/` starts a regular expression, not a division.
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

const NO_REGEX_AFTER: ReadonlySet<string> = new Set([")", "]", "}", "++", "--"]);

/** A forward-only lexer that knows just enough JavaScript to keep brackets balanced. */
class Lexer {
  private prev: Token | undefined;

  constructor(
    private readonly src: string,
    public pos = 0,
  ) {}

  next(): Token | undefined {
    this.skipTrivia();
    const { src } = this;
    const start = this.pos;
    if (start >= src.length) return undefined;
    const ch = src[start] as string;
    let token: Token;
    if (ch === '"' || ch === "'") token = { kind: "string", text: this.skipString(ch) };
    else if (ch === "`") token = { kind: "template", text: this.skipTemplate() };
    else if (ch === "/" && this.regexAllowed() && this.skipRegex()) token = { kind: "regex", text: "" };
    else token = this.match(NUMBER_RE, "number") ?? this.match(ID_RE, "id") ?? this.punct();
    this.prev = token;
    return token;
  }

  private skipTrivia(): void {
    const { src } = this;
    for (;;) {
      SPACE_RE.lastIndex = this.pos;
      if (SPACE_RE.test(src)) this.pos = SPACE_RE.lastIndex;
      if (src.startsWith("//", this.pos)) {
        const end = src.indexOf("\n", this.pos);
        this.pos = end < 0 ? src.length : end + 1;
      } else if (src.startsWith("/*", this.pos)) {
        const end = src.indexOf("*/", this.pos + 2);
        this.pos = end < 0 ? src.length : end + 2;
      } else return;
    }
  }

  private match(re: RegExp, kind: TokenKind): Token | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return { kind, text: m[0] };
  }

  private punct(): Token {
    const { src, pos } = this;
    const two = src.slice(pos, pos + 2);
    const text = src.startsWith("...", pos)
      ? "..."
      : two === "=>" || two === "++" || two === "--"
        ? two
        : (src[pos] as string);
    this.pos += text.length;
    return { kind: "punct", text };
  }

  private regexAllowed(): boolean {
    const { prev } = this;
    if (prev === undefined) return true;
    // No regex follows `++`/`--`: after a postfix one a `/` divides, and a prefix one cannot take a literal.
    if (prev.kind === "punct") return !NO_REGEX_AFTER.has(prev.text);
    return prev.kind === "id" && BEFORE_REGEX.has(prev.text);
  }

  private skipString(quote: string): string {
    const { src } = this;
    let i = this.pos + 1;
    while (i < src.length && src[i] !== quote) i += src[i] === "\\" ? 2 : 1;
    const text = src.slice(this.pos + 1, i);
    this.pos = i + 1;
    return text;
  }

  private skipTemplate(): string {
    const { src } = this;
    let i = this.pos + 1;
    while (i < src.length && src[i] !== "`") {
      if (src[i] === "\\") i += 2;
      else if (src.startsWith("${", i)) i = skipBalanced(src, i + 2);
      else i += 1;
    }
    this.pos = i + 1;
    return "";
  }

  /**
   * Skips a regex literal and returns true, or returns false when none closes on this line: a
   * regex cannot span lines, so the `/` was a division after all (as in `i++ / 2`).
   */
  private skipRegex(): boolean {
    const { src } = this;
    let i = this.pos + 1;
    let inClass = false;
    while (i < src.length && (inClass || src[i] !== "/")) {
      if (src[i] === "\n" || src[i] === "\r") return false;
      if (src[i] === "\\") i += 1;
      else if (src[i] === "[") inClass = true;
      else if (src[i] === "]") inClass = false;
      i += 1;
    }
    if (i >= src.length) return false;
    const flags = /\w*/y;
    flags.lastIndex = i + 1;
    flags.test(src);
    this.pos = flags.lastIndex;
    return true;
  }
}

/** Index just past the `}` closing a `${` substitution that starts at `from`. */
function skipBalanced(src: string, from: number): number {
  const lexer = new Lexer(src, from);
  let depth = 0;
  for (let t = lexer.next(); t !== undefined; t = lexer.next()) {
    if (t.kind !== "punct") continue;
    if (t.text === "{") depth += 1;
    else if (t.text === "}" && depth-- === 0) break;
  }
  return lexer.pos;
}

function isOpen(t: Token): boolean {
  return t.kind === "punct" && (t.text === "(" || t.text === "[" || t.text === "{");
}

function isClose(t: Token): boolean {
  return t.kind === "punct" && (t.text === ")" || t.text === "]" || t.text === "}");
}

function decodeIdentifier(text: string): string {
  if (!text.includes("\\")) return text;
  return text.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_m, long?: string, short?: string) =>
    String.fromCodePoint(Number.parseInt(long ?? short ?? "0", 16)),
  );
}

/** Reads the list after its opening `(` up to the matching `)`. */
function readList(lexer: Lexer): ParameterInfo {
  const names: (string | undefined)[] = [];
  let rest = false;
  let depth = 0;
  let first: Token | undefined;
  let second: Token | undefined;
  const flush = (): void => {
    if (first === undefined) return;
    rest = first.text === "..." && first.kind === "punct";
    const head = rest ? second : first;
    names.push(head?.kind === "id" ? decodeIdentifier(head.text) : undefined);
    first = second = undefined;
  };
  for (let t = lexer.next(); t !== undefined; t = lexer.next()) {
    if (depth === 0 && t.kind === "punct" && (t.text === "," || t.text === ")")) {
      flush();
      if (t.text === ")") break;
      continue;
    }
    if (first === undefined) first = t;
    else if (second === undefined) second = t;
    if (isOpen(t)) depth += 1;
    else if (isClose(t)) depth -= 1;
  }
  return { names, rest, opaque: false };
}

const NONE: ParameterInfo = Object.freeze({ names: Object.freeze([]), rest: false, opaque: true });

/** A class's parameters are its constructor's; without one, they are unknown (a derived class forwards all). */
function readClass(lexer: Lexer): ParameterInfo {
  let depth = 0;
  let inBody = false;
  let prev: Token | undefined;
  let prevPrev: Token | undefined;
  for (let t = lexer.next(); t !== undefined; t = lexer.next()) {
    // A method may be named `class`: `class(a) {}`.
    if (prev === undefined && t.kind === "punct" && t.text === "(") return readList(lexer);
    if (
      inBody &&
      depth === 1 &&
      t.text === "(" &&
      t.kind === "punct" &&
      prev !== undefined &&
      prev.text === "constructor" &&
      (prev.kind === "id" || prev.kind === "string") &&
      prevPrev?.text !== "static" &&
      prevPrev?.text !== "."
    ) {
      return readList(lexer);
    }
    if (isOpen(t)) {
      if (depth === 0 && t.text === "{") inBody = true;
      depth += 1;
    } else if (isClose(t) && --depth === 0 && inBody) break;
    prevPrev = prev;
    prev = t;
  }
  return { names: [], rest: false, opaque: true };
}

function parse(src: string): ParameterInfo {
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) return NONE;
  const lexer = new Lexer(src);
  let depth = 0;
  let prev: Token | undefined;
  for (let t = lexer.next(); t !== undefined; t = lexer.next()) {
    if (prev === undefined && t.kind === "id" && t.text === "class") return readClass(lexer);
    if (depth === 0 && t.kind === "punct") {
      if (t.text === "(") return readList(lexer);
      // `x => …` and `async x => …`: one bare parameter before the arrow.
      if (t.text === "=>") {
        const name = prev?.kind === "id" ? decodeIdentifier(prev.text) : undefined;
        return { names: name === undefined ? [] : [name], rest: false, opaque: name === undefined };
      }
    }
    if (isOpen(t)) depth += 1;
    else if (isClose(t)) depth -= 1;
    prev = t;
  }
  return NONE;
}

/**
 * Parameter list found in a function's source text; `parameterInfo` calls it once per function.
 * @example parseParameters("async (a, { b }) => a") // { names: ["a", undefined], rest: false, opaque: false }
 */
export function parseParameters(source: string): ParameterInfo {
  return parse(source);
}

/** Any function or class whose parameter list can be read. */
export type AnyFunction = ((...args: never) => unknown) | (abstract new (...args: never) => unknown);

const infoCache = new WeakMap<AnyFunction, ParameterInfo>();

/**
 * Parameter list of `fn`, read once from its source text and cached per function.
 * Minified code yields minified names; bound and native functions are `opaque` with no names.
 * @example parameterInfo(async (id, { page }, ...rest) => 0) // { names: ["id", undefined, "rest"], rest: true, opaque: false }
 */
export function parameterInfo(fn: AnyFunction): ParameterInfo {
  let info = infoCache.get(fn);
  if (info === undefined) {
    const parsed = parse(Function.prototype.toString.call(fn));
    info = parsed === NONE ? NONE : Object.freeze({ ...parsed, names: Object.freeze(parsed.names) });
    infoCache.set(fn, info);
  }
  return info;
}

/**
 * Parameter names of `fn` in order (`...rest` gives `rest`); a destructured parameter is
 * `undefined` so positions still line up.
 * @example parameterNames(function f(a, b = "x,y") {}) // ["a", "b"]
 */
export function parameterNames(fn: AnyFunction): readonly (string | undefined)[] {
  return parameterInfo(fn).names;
}
