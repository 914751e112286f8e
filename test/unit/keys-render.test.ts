import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CacheArgumentError } from "../../src/core/errors";
import { registerTypeFormatter } from "../../src/keys/formatters";
import { renderArgs, renderText, stableRender } from "../../src/keys/render";

/** Rebuilds a value with every object's keys inserted in reverse order (and Sets/Maps reversed). */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value instanceof Set) return new Set([...value].reverse().map(reordered));
  if (value instanceof Map) return new Map([...value].reverse().map(([k, v]) => [k, reordered(v)]));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) {
      // defineProperty, so a generated "__proto__" key stays an own property.
      const item = reordered((value as Record<string, unknown>)[key]);
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

const anything = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withNullPrototype: true,
  withSparseArray: true,
  withBoxedValues: false,
});

/**
 * Any UTF-16 text, lone surrogates included: ASCII (quotes, backslash, controls), any single code
 * unit, or any astral code point as a pair. `unit: "binary"` costs about 3 ms a string, enough to
 * push 100 runs past the 5 s test timeout on a loaded machine; this costs about 0.03 ms and, unlike
 * it, produces lone surrogates, which JSON.stringify escapes.
 */
const anyCodeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
);

// The property tests are CPU-bound (2000 runs at most): the timeout is room for a loaded machine,
// where a worker gets a fraction of a core, not a limit anything here is meant to meet.
describe("stableRender", { timeout: 30_000 }, () => {
  it("spells each primitive type differently", () => {
    const values = [
      1,
      "1",
      1n,
      true,
      "true",
      null,
      "null",
      undefined,
      "undefined",
      Number.NaN,
      "NaN",
      Symbol.for("s"),
      Symbol.iterator,
      "",
    ];
    const texts = values.map(stableRender);
    expect(new Set(texts).size).toBe(values.length);
    expect(stableRender(-0)).toBe(stableRender(0));
    expect(stableRender('a"b')).toBe('"a\\"b"');
  });

  it("quotes strings exactly as JSON.stringify does (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodeUnit, maxLength: 16 }), (text) => {
        expect(stableRender(text)).toBe(JSON.stringify(text));
        expect(stableRender({ [text]: 1 })).toBe(`{${JSON.stringify(text)}:1}`);
      }),
    );
    expect(stableRender("\ud800")).toBe('"\\ud800"');
  });

  it("sorts object keys and canonicalises Maps and Sets", () => {
    expect(stableRender({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(stableRender(new Set([3, 1, 2]))).toBe(stableRender(new Set([2, 3, 1])));
    expect(
      stableRender(
        new Map([
          ["x", 1],
          ["y", 2],
        ]),
      ),
    ).toBe(
      stableRender(
        new Map([
          ["y", 2],
          ["x", 1],
        ]),
      ),
    );
    expect(stableRender(new Map([["x", 1]]))).not.toBe(stableRender(new Map([["x", 2]])));
  });

  it("distinguishes missing, undefined and null properties, holes and undefined items", () => {
    const texts = [{}, { a: undefined }, { a: null }, [], [undefined], new Array(1), [null]].map(
      stableRender,
    );
    expect(new Set(texts).size).toBe(texts.length);
  });

  it("renders symbol-keyed properties, which Object.keys leaves out", () => {
    // Query builders key operators by registered symbols (Sequelize's Op.gt is Symbol.for("gt")):
    // without them { age: { [gt]: 5 } } and { age: { [lt]: 5 } } both rendered {"age":{}}.
    const gt = Symbol.for("gt");
    const lt = Symbol.for("lt");
    const texts = [
      {},
      { [gt]: 5 },
      { [lt]: 5 },
      { [gt]: 6 },
      { [gt]: 5, [lt]: 5 },
      { 'Symbol.for("gt")': 5 },
    ].map((where) => stableRender({ where }));
    expect(new Set(texts).size).toBe(texts.length);
    expect(stableRender({ a: 1, [lt]: 2, [gt]: 3 })).toBe(stableRender({ [gt]: 3, [lt]: 2, a: 1 }));
    const hidden = Object.defineProperty({ a: 1 }, gt, { value: 5, enumerable: false });
    expect(stableRender(hidden)).toBe(stableRender({ a: 1 }));
    expect(refused({ [Symbol("private")]: 1 })).toContain("Symbol.for");
  });

  it("renders built-in objects by their content", () => {
    expect(stableRender(new Date(0))).toBe("Date(1970-01-01T00:00:00.000Z)");
    expect(stableRender(new Date(Number.NaN))).toBe("Date(NaN)");
    expect(stableRender(/a,b/gi)).toBe("/a,b/gi");
    expect(stableRender(new Uint8Array([1, 2]))).toBe("Uint8Array[1,2]");
    expect(stableRender(new Int8Array([1, 2]))).not.toBe(stableRender(new Uint8Array([1, 2])));
    expect(stableRender(new BigInt64Array([5n]))).toBe("BigInt64Array[5]");
    expect(stableRender(new Uint8Array([1, 2]).buffer)).toBe("ArrayBuffer[1,2]");
    expect(stableRender(new URL("https://a.example/x"))).not.toBe(
      stableRender(new URL("https://b.example/x")),
    );
    expect(stableRender(new TypeError("boom"))).toBe('TypeError("boom")');
  });

  it("renders URLSearchParams and Headers by their entries, which live in no own property", () => {
    const texts = [
      new URLSearchParams("q=a"),
      new URLSearchParams("q=b"),
      new URLSearchParams("q=a&page=2"),
      new URLSearchParams(),
      new Headers({ accept: "text/html" }),
      new Headers({ accept: "application/json" }),
      new Headers(),
    ].map(stableRender);
    expect(new Set(texts).size).toBe(texts.length);
    expect(stableRender(new URLSearchParams("q=a"))).toBe(stableRender(new URLSearchParams([["q", "a"]])));
    expect(stableRender(new Headers({ "X-A": "1", b: "2" }))).toBe(
      stableRender(new Headers({ B: "2", "x-a": "1" })),
    );
    expect(renderArgs([new URLSearchParams("id=1")])).not.toBe(renderArgs([new URLSearchParams("id=2")]));
  });

  it("renders FormData by its entries in order, so equal forms share a key and different ones do not", () => {
    const form = (...entries: [string, string][]): FormData => {
      const data = new FormData();
      for (const [name, value] of entries) data.append(name, value);
      return data;
    };
    expect(stableRender(form(["q", "a"], ["page", "2"]))).toBe(stableRender(form(["q", "a"], ["page", "2"])));
    const texts = [
      form(["q", "a"]),
      form(["q", "b"]),
      form(["q", "a"], ["page", "2"]),
      form(["page", "2"], ["q", "a"]),
      form(["q", "a"], ["q", "a"]),
      form(),
      new URLSearchParams("q=a"),
    ].map(stableRender);
    expect(new Set(texts).size).toBe(texts.length);
    expect(renderArgs([form(["id", "1"])])).not.toBe(renderArgs([form(["id", "2"])]));
    expect(renderText(form(["id", "1"]))).toBe(stableRender(form(["id", "1"])));
    // A file's bytes are as unreadable inside a form as on their own: refused as a File is.
    const upload = form(["name", "a"]);
    upload.append("file", new Blob(["x"]), "a.txt");
    expect(refused(upload)).toBe(refused(new File(["x"], "a.txt")));
  });

  it("prefixes class instances with their class name", () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(stableRender(new Point(1, 2))).toBe('Point{"x":1,"y":2}');
    expect(stableRender(new Point(1, 2))).not.toBe(stableRender({ x: 1, y: 2 }));
    expect(stableRender(Object.assign(Object.create(null), { x: 1 }))).toBe('{"x":1}');
  });

  it("marks cycles with a back-reference and renders shared (acyclic) references fully", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(stableRender(a)).toBe('{"name":"a","self":^1}');
    const list: unknown[] = [1];
    list.push({ parent: list });
    expect(stableRender(list)).toBe('[1,{"parent":^2}]');
    const shared = { v: 1 };
    expect(stableRender([shared, shared])).toBe('[{"v":1},{"v":1}]');
    const m = new Map<string, unknown>();
    m.set("m", m);
    expect(stableRender(m)).toBe('Map{"m"=>^1}');
  });

  it("gives equal text for equal values whatever the insertion order (property)", () => {
    fc.assert(
      fc.property(anything, (value) => {
        expect(stableRender(reordered(value))).toBe(stableRender(value));
      }),
    );
  });

  it("gives different text for structurally different JSON values (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(stableRender(a) === stableRender(b)).toBe(canonical(a) === canonical(b));
      }),
    );
  });

  it("gives different text for values that are not deeply equal (property)", () => {
    const small = fc.anything({
      maxDepth: 2,
      maxKeys: 3,
      withBigInt: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
      stringUnit: fc.constantFrom("a", "b", "1"),
      // Valid dates only: Node's deep equality says two invalid dates differ, while they are the same argument.
      values: [
        fc.constantFrom(0, 1, "1", "", null, undefined, true, 1n, Number.NaN, new Date(0), new Date(1)),
      ],
    });
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(stableRender(a) === stableRender(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});

/** JSON with sorted keys and -0 folded into 0: what two JSON values must agree on to render alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** The CacheArgumentError `render` throws for `value` (also inside an array and an object), with its message. */
function refused(value: unknown, render: (value: unknown) => string = stableRender): string {
  const messages = [value, [1, value], { nested: value }].map((input) => {
    try {
      render(input);
    } catch (error) {
      expect(error).toBeInstanceOf(CacheArgumentError);
      return (error as Error).message;
    }
    throw new Error(`expected ${Object.prototype.toString.call(value)} to be refused`);
  });
  for (const message of messages) expect(message).toMatch(/^\[isocache\] \[key\] .+: .+key.+/);
  return messages[0] as string;
}

// Each of these rendered as `Name{}` (or `{}`, or `Function("")`), one text for every instance.
describe("values a key cannot tell apart", () => {
  it("renders an AbortSignal as one constant, so calls told apart only by their signal share an entry", () => {
    const a = new AbortController().signal;
    const b = AbortSignal.abort();
    expect(stableRender({ id: 1, signal: a })).toBe(stableRender({ id: 1, signal: b }));
    expect(stableRender({ id: 1, signal: a })).not.toBe(stableRender({ id: 2, signal: a }));
    expect(renderText(a)).toBe("AbortSignal");
    expect(renderArgs([1, { signal: a }])).toBe(renderArgs([1, { signal: b }]));
  });

  it("refuses values whose state cannot be read synchronously or at all, naming the type and the remedies", () => {
    const opaque: [string, unknown][] = [
      ["Blob", new Blob(["a"])],
      ["File", new File(["a"], "a.txt")],
      ["WeakMap", new WeakMap()],
      ["WeakSet", new WeakSet()],
      ["WeakRef", new WeakRef({})],
      ["Promise", Promise.resolve(1)],
      ["ReadableStream", new ReadableStream()],
    ];
    for (const [name, value] of opaque) {
      for (const render of [stableRender, renderText, (v: unknown) => renderArgs([v])]) {
        const message = refused(value, render);
        expect(message).toContain(name);
        expect(message).toContain("registerTypeFormatter");
      }
    }
    // A subclass with fields of its own still keeps its content where the key cannot read it.
    class Upload extends Blob {
      readonly label = "same";
    }
    refused(new Upload(["a"]));
  });

  it("refuses class instances with no own enumerable state unless a type formatter is registered", () => {
    class Secret {
      readonly #id: number;
      constructor(id: number) {
        this.#id = id;
      }
      get id(): number {
        return this.#id;
      }
    }
    class Marker {}
    function* generate() {
      yield 1;
    }
    for (const value of [new Secret(1), new Marker(), generate(), [1].values(), new EventTarget()]) {
      refused(value);
      refused(value, renderText);
    }
    expect(refused(new Secret(1))).toContain("Secret");
    // Enumerable state renders as before, plain and null-prototype objects too.
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(stableRender(new Point(1, 2))).toBe('Point{"x":1,"y":2}');
    expect(stableRender({})).toBe("{}");
    expect(stableRender(Object.create(null))).toBe("{}");
    registerTypeFormatter(Secret, (secret) => String(secret.id));
    expect(stableRender(new Secret(1))).toBe('Secret("1")');
    expect(stableRender(new Secret(1))).not.toBe(stableRender(new Secret(2)));
    expect(renderText(new Secret(2))).toBe("2");
  });

  it("renders Blob and the other opaque kinds through a registered type formatter", () => {
    class Tagged extends Blob {
      constructor(readonly tag: string) {
        super([tag]);
      }
    }
    registerTypeFormatter(Tagged, (blob) => blob.tag);
    expect(stableRender(new Tagged("a"))).toBe('Tagged("a")');
    expect(renderText(new Tagged("b"))).toBe("b");
    refused(new Blob(["a"]));
  });

  it("refuses functions and unregistered symbols, which only identity tells apart", () => {
    const values = [
      () => 1,
      function named() {
        return 2;
      },
      class Model {},
      Symbol("s"),
      Symbol(),
      Object(Symbol("boxed")),
    ];
    for (const value of values) {
      refused(value);
      refused(value, renderText);
    }
    expect(refused(() => 1)).toContain("function");
    expect(refused(Symbol("s"))).toContain("Symbol.for");
    // Registered and well-known symbols are the same in every process.
    expect(stableRender(Symbol.for("s"))).toBe('Symbol.for("s")');
    expect(stableRender(Symbol.iterator)).toBe('Symbol("Symbol.iterator")');
    expect(renderText(Symbol.for("s"))).toBe("Symbol(s)");
  });
});

describe("renderArgs", () => {
  it("joins argument renderings and tells omitted from undefined", () => {
    expect(renderArgs([])).toBe("");
    expect(renderArgs([42])).toBe("42");
    expect(renderArgs(["42"])).toBe('"42"');
    expect(renderArgs([1, "a,b", { z: 1, a: 2 }])).toBe('1,"a,b",{"a":2,"z":1}');
    expect(renderArgs([undefined])).not.toBe(renderArgs([]));
  });

  it("keeps argument boundaries unambiguous (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
        fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null))),
        (a, b) => {
          expect(renderArgs(a) === renderArgs(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
        },
      ),
    );
  });
});

describe("renderText", () => {
  it("interpolates strings as-is and other values by type", () => {
    expect(renderText("Ann")).toBe("Ann");
    expect(renderText(7)).toBe("7");
    expect(renderText(7n)).toBe("7");
    expect(renderText(false)).toBe("false");
    expect(renderText(undefined)).toBe("");
    expect(renderText(null)).toBe("null");
    expect(renderText(new Date(0))).toBe("1970-01-01T00:00:00.000Z");
    expect(renderText({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(renderText([1, "x"])).toBe('[1,"x"]');
  });
});
