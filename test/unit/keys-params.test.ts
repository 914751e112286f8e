import { describe, expect, it } from "vitest";
import { parameterInfo, parameterNames, parseParameters } from "../../src/keys/params";

// Real functions go through vitest's esbuild transform, so these also cover compiled output.
describe("parameterNames on real functions", () => {
  it("reads function declarations and expressions", () => {
    function plain(a: number, b: string) {
      return [a, b];
    }
    const expression = function named(x: unknown) {
      return x;
    };
    expect(parameterNames(plain)).toEqual(["a", "b"]);
    expect(parameterNames(expression)).toEqual(["x"]);
    expect(parameterNames(() => 1)).toEqual([]);
  });

  it("reads async functions and generators", () => {
    async function load(id: string, options?: object) {
      return [id, options];
    }
    function* gen(first: number) {
      yield first;
    }
    async function* agen(stream: unknown, limit: number) {
      yield [stream, limit];
    }
    expect(parameterNames(load)).toEqual(["id", "options"]);
    expect(parameterNames(gen)).toEqual(["first"]);
    expect(parameterNames(agen)).toEqual(["stream", "limit"]);
  });

  it("reads arrows with and without parentheses, async arrows", () => {
    const one = (a: number) => a;
    // biome-ignore format: a parenthesis-free arrow is the shape under test
    const bare: (q: number) => number = q => q;
    const asyncArrow = async (a: number, b: number) => a + b;
    expect(parameterNames(one)).toEqual(["a"]);
    expect(parameterNames(bare)).toEqual(["q"]);
    expect(parameterNames(asyncArrow)).toEqual(["a", "b"]);
  });

  it("reads destructuring and rest: async (a, {b}, ...rest) =>", () => {
    const fn = async (a: number, { b }: { b: number }, ...rest: number[]) => [a, b, rest];
    expect(parameterInfo(fn)).toEqual({ names: ["a", undefined, "rest"], rest: true, opaque: false });
    const arrays = ([x, y]: number[], ...[z]: number[]) => [x, y, z];
    expect(parameterInfo(arrays)).toEqual({ names: [undefined, undefined], rest: true, opaque: false });
  });

  it("reads defaults containing commas, parens, strings, objects, arrays and arrows", () => {
    function f(
      // biome-ignore lint/complexity/noCommaOperator: a comma inside a default value is the point
      a = (String(1), 2),
      b = "x,y",
      c = { d: [1, 2] },
      e = (p: number, q: number) => p + q,
      g = `t,${"u,v"}`,
    ) {
      return [a, b, c, e, g];
    }
    expect(parameterNames(f)).toEqual(["a", "b", "c", "e", "g"]);
    const withRegex = (a = /[,)]/g, b = 2 / 1) => [a, b];
    expect(parameterNames(withRegex)).toEqual(["a", "b"]);
  });

  it("reads class methods, static and async methods, accessors and constructors", () => {
    class Repo {
      constructor(
        readonly db: string,
        readonly table: string,
      ) {}
      find(id: string) {
        return id;
      }
      async findMany(ids: string[], { limit }: { limit: number }) {
        return [ids, limit];
      }
      static create(url: string) {
        return url;
      }
      async *stream(cursor: number) {
        yield cursor;
      }
      set value(next: number) {
        void next;
      }
      "computed(x, y)"(p: number, q: number) {
        return p + q;
      }
    }
    expect(parameterNames(Repo.prototype.find)).toEqual(["id"]);
    expect(parameterNames(Repo.prototype.findMany)).toEqual(["ids", undefined]);
    expect(parameterNames(Repo.create)).toEqual(["url"]);
    expect(parameterNames(Repo.prototype.stream)).toEqual(["cursor"]);
    expect(
      parameterNames(Object.getOwnPropertyDescriptor(Repo.prototype, "value")?.set as (v: number) => void),
    ).toEqual(["next"]);
    expect(parameterNames(Repo.prototype["computed(x, y)"])).toEqual(["p", "q"]);
    expect(parameterNames(Repo)).toEqual(["db", "table"]);
    const methods = {
      async m(a: number) {
        return a;
      },
      class(z: number) {
        return z;
      },
    };
    expect(parameterNames(methods.m)).toEqual(["a"]);
    expect(parameterNames(methods.class)).toEqual(["z"]);
  });

  it("marks bound and native functions as opaque", () => {
    function f(a: number) {
      return a;
    }
    expect(parameterInfo(f.bind(null))).toEqual({ names: [], rest: false, opaque: true });
    expect(parameterInfo(Math.max).opaque).toBe(true);
    class Derived extends Map {}
    expect(parameterInfo(Derived).opaque).toBe(true);
  });

  it("caches per function and freezes the result", () => {
    const fn = (a: number) => a;
    expect(parameterNames(fn)).toBe(parameterNames(fn));
    expect(Object.isFrozen(parameterNames(fn))).toBe(true);
  });
});

// Source text as other compilers and hand-written code produce it (esbuild strips comments).
describe("parseParameters on source text", () => {
  const names = (source: string) => parseParameters(source).names;

  it.each([
    ["function f(a, /* b, c */ d) {}", ["a", "d"]],
    ["function f(a, // trailing, comment\n b) {}", ["a", "b"]],
    ["function /* (x) */ f(/* (y) */ a) {}", ["a"]],
    ["(a, b,) => a", ["a", "b"]],
    ["x => x", ["x"]],
    ["async x => x", ["x"]],
    ["async => 1", ["async"]],
    ["async(a) { return a; }", ["a"]],
    ["async (a) => a", ["a"]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
    ["function f(a = \"(\", b = ')', c = `${(1, 2)}`, d) {}", ["a", "b", "c", "d"]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
    ['function f(a = `x${`y${"}"}`}`, b) {}', ["a", "b"]],
    ["function f(a = /[)/]/, b = c / d, e) {}", ["a", "b", "e"]],
    ["function f(a = { b: { c: [1, (2)] } }, d = [[,],]) {}", ["a", "d"]],
    ["function f({ a, b: [c] } = {}, [d] = [], ...{ length }) {}", [undefined, undefined, undefined]],
    ["function f(\\u0061b, $, _x, ünï) {}", ["ab", "$", "_x", "ünï"]],
    ["#secret(token) {}", ["token"]],
    ['"name with (parens)"(a) {}', ["a"]],
    ["[Symbol.iterator](a) {}", ["a"]],
    ["get size() { return 1; }", []],
    // tsc ES5 output: rest and defaults move into the body, names stay
    [
      "function (id, opts) { if (opts === void 0) { opts = {}; } return __awaiter(this, void 0, void 0, function () {}); }",
      ["id", "opts"],
    ],
    [
      "class A extends mixin(B, (c) => c) { static constructor(x) {} constructor(a, b = {constructor(z){}}) {} }",
      ["a", "b"],
    ],
    ["class { m() { const constructor = (q) => q; } }", []],
  ] as const)("%s", (source, expected) => {
    expect(names(source)).toEqual(expected);
  });

  it("reads a division that looks like the start of a regex, without looping forever", () => {
    // A "/" after a postfix "++" or an unterminated regex once sent the lexer back to position 0.
    expect(names("function f(a = i++ / 2, b) {}")).toEqual(["a", "b"]);
    expect(names("function f(a = i-- / 2,\n b = 1) {}")).toEqual(["a", "b"]);
    // A second "/" on the line once closed a "regex" that swallowed the comma after the division.
    expect(names("function f(a = i++ / 2, b = j / 3) {}")).toEqual(["a", "b"]);
    expect(names("(a = x-- / 2, { b } = y / 3, c) => 0")).toEqual(["a", undefined, "c"]);
    expect(names("function f(a = b /=/ 2) {}")).toEqual(["a"]);
    expect(names("class A { m() { return this.i++ / 2; } }")).toEqual([]);
  });

  it("reports rest only for a trailing rest parameter", () => {
    expect(parseParameters("function f(a, ...b) {}").rest).toBe(true);
    expect(parseParameters("function f(a = [...x], b) {}").rest).toBe(false);
  });
});
