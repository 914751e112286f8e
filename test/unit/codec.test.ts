import { constants as bufferConstants } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CacheConfigError, type CacheError, CacheValueError } from "../../src/core/errors";
import {
  base64ToBytes,
  base64UrlToBytes,
  bytesToBase64,
  bytesToBase64Url,
  utf8Decode,
  utf8Encode,
} from "../../src/serialization/base64";
import { cloneDecoded, decode, defaultSerializer, encode, registerType } from "../../src/serialization/codec";

type Dict = Record<string, unknown>;

const roundTrip = <T>(value: T): T => decode(encode(value)) as T;

/**
 * Deep equality that also checks prototypes, key order, holes, -0, NaN and that every shared
 * or cyclic reference of `expected` maps to one object of `actual`. (vitest's toStrictEqual
 * compares `.constructor`, so it trips over user data owning a `constructor` key.)
 */
function expectSame(actual: unknown, expected: unknown): void {
  expect(actual).toEqual(expected);
  walkSame(actual, expected, "", new Map());
}

function fail(path: string, problem: string): never {
  throw new Error(`at ${path || "root"}: ${problem}`);
}

/** A comparable text for values compared as a whole (dates, boxes, bytes...), else undefined. */
function leafForm(value: object): string | undefined {
  if (value instanceof Date) return `Date ${value.getTime()}`;
  if (value instanceof RegExp) return `RegExp ${String(value)}`;
  if (
    value instanceof Number ||
    value instanceof String ||
    value instanceof Boolean ||
    value instanceof BigInt
  ) {
    const inner: unknown = value.valueOf();
    return `box ${typeof inner} ${Object.is(inner, -0) ? "-0" : String(inner)}`;
  }
  if (ArrayBuffer.isView(value)) {
    return `view ${new Uint8Array(value.buffer, value.byteOffset, value.byteLength).join()}`;
  }
  if (value instanceof ArrayBuffer) return `buffer ${new Uint8Array(value).join()}`;
  return undefined;
}

function walkSame(a: unknown, b: unknown, path: string, pairs: Map<object, unknown>): void {
  if (typeof b !== "object" || b === null) {
    if (!Object.is(a, b)) fail(path, `${String(a)} is not ${String(b)}`);
    return;
  }
  if (typeof a !== "object" || a === null) fail(path, "not an object");
  if (pairs.has(b)) {
    if (pairs.get(b) !== a) fail(path, "reference identity lost");
    return;
  }
  pairs.set(b, a);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) fail(path, "prototype differs");
  const leaf = leafForm(b);
  if (leaf !== undefined) {
    walkSame(leafForm(a), leaf, path, pairs);
    return;
  }
  if (b instanceof Map || b instanceof Set) {
    const left = [...(a as Map<unknown, unknown>).entries()];
    const right = [...b.entries()];
    walkSame(left.length, right.length, `${path}.size`, pairs);
    right.forEach(([key, value], i) => {
      walkSame(left[i]?.[0], key, `${path}[entry ${i} key]`, pairs);
      walkSame(left[i]?.[1], value, `${path}[entry ${i}]`, pairs);
    });
    return;
  }
  if (b instanceof Error)
    walkSame(`${(a as Error).name}: ${(a as Error).message}`, `${b.name}: ${b.message}`, path, pairs);
  const keys = Object.keys(b);
  walkSame(JSON.stringify(Object.keys(a)), JSON.stringify(keys), `${path} keys`, pairs);
  for (const key of keys) walkSame((a as Dict)[key], (b as Dict)[key], `${path}.${key}`, pairs);
}

function expectValueError(fn: () => unknown): CacheValueError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CacheValueError);
  expect((caught as CacheError).code).toBe("E_VALUE");
  expect((caught as Error).message).toMatch(/^\[isocache\] \[codec\] .+: .+/);
  return caught as CacheValueError;
}

describe("codec: plain JSON text forms", () => {
  it.each([
    [5, "5"],
    [-3, "-3"],
    [0, "0"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
    [Number.MIN_SAFE_INTEGER, "-9007199254740991"],
    [1.5, "1.5"],
    [-0.25, "-0.25"],
    ["x", '"x"'],
    ["", '""'],
    [true, "true"],
    [false, "false"],
    [null, "null"],
    [{ a: 1 }, '{"a":1}'],
    [[1, 2], "[1,2]"],
    [{ a: [1, { b: "c" }], d: null }, '{"a":[1,{"b":"c"}],"d":null}'],
  ])("encodes %j as plain JSON %s", (value, text) => {
    expect(encode(value)).toBe(text);
    expect(defaultSerializer.encode(value)).toBe(text);
  });

  it.each([
    ["5", 5],
    ["-3", -3],
    ["6", 6],
    ["12345678901234567890", Number("12345678901234567890")],
    ["4611686018427387904", 2 ** 62],
    ['"x"', "x"],
    ['{"a":1}', { a: 1 }],
    ["[1,2]", [1, 2]],
    ["null", null],
    ['{"t":"$t"}', { t: "$t" }],
    ['["$t"]', ["$t"]],
  ])("decodes text written by another tool, %s", (text, value) => {
    expect(decode(text)).toStrictEqual(value);
    expect(defaultSerializer.decode(text)).toStrictEqual(value);
  });

  it("writes special values in the documented tagged form", () => {
    expect(encode(undefined)).toBe('{"$t":"undefined"}');
    expect(encode(Number.NaN)).toBe('{"$t":"nan"}');
    expect(encode(-0)).toBe('{"$t":"-0"}');
    expect(encode(10n)).toBe('{"$t":"bigint","v":"10"}');
    expect(encode(new Date(0))).toBe('{"$t":"Date","v":"1970-01-01T00:00:00.000Z"}');
    expect(encode(new Map([["a", 1]]))).toBe('{"$t":"Map","v":["a",1]}');
    expect(encode({ a: undefined, b: 1 })).toBe('{"a":{"$t":"undefined"},"b":1}');
    expect(encode({ $t: 1 })).toBe('{"$t":"object","v":{"$t":1}}');
    const cyclic: Dict = { id: 1 };
    cyclic.self = cyclic;
    expect(encode(cyclic)).toBe('{"id":1,"self":{"$t":"ref","v":0}}');
  });

  it("keeps a huge sparse array small", () => {
    const sparse: number[] = [];
    sparse[1_000_000] = 7;
    const text = encode(sparse);
    expect(text.length).toBeLessThan(60);
    const out = decode(text) as number[];
    expect(out.length).toBe(1_000_001);
    expect(out[1_000_000]).toBe(7);
    expect(0 in out).toBe(false);
  });

  it("copies a decoded huge sparse array by its present slots, not its length", () => {
    const huge = decode('{"$t":"sparse","v":[4294967295,0,"a",4294967294,"z"]}') as string[];
    let probes = 0;
    const counted = new Proxy(huge, {
      has(target, key) {
        // Walking every index of a 2^32 - 1 slot array takes minutes on every read of a memory hit.
        if (++probes > 10) throw new Error("cloneDecoded walks the holes of a sparse array one by one");
        return Reflect.has(target, key);
      },
    });
    const copy = cloneDecoded(counted) as string[];
    expect(copy.length).toBe(4294967295);
    expect([copy[0], copy[4294967294], 1 in copy]).toEqual(["a", "z", false]);
  });
});

class Temperature {
  constructor(readonly celsius: number) {}
  toJSON(): string {
    return `${this.celsius}C`;
  }
}

const typedArrays = [
  new Int8Array([-128, 0, 127]),
  new Uint8Array([0, 1, 255]),
  new Uint8ClampedArray([0, 128, 255]),
  new Int16Array([-32768, 32767]),
  new Uint16Array([0, 65535]),
  new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
  new Uint32Array([0, 2 ** 32 - 1]),
  new Float32Array([1.5, -0, Number.NaN, Number.POSITIVE_INFINITY]),
  new Float64Array([Math.PI, -0, Number.NaN, Number.NEGATIVE_INFINITY]),
  new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
  new BigUint64Array([0n, 2n ** 64n - 1n]),
  new Uint8Array(0),
];

describe("codec: typed round trips", () => {
  const cases: [string, unknown, (out: unknown, input: unknown) => void][] = [
    ["undefined", undefined, (out) => expect(out).toBeUndefined()],
    ["null", null, (out) => expect(out).toBeNull()],
    ["-0", -0, (out) => expect(Object.is(out, -0)).toBe(true)],
    ["NaN", Number.NaN, (out) => expect(Number.isNaN(out)).toBe(true)],
    ["Infinity", Number.POSITIVE_INFINITY, (out) => expect(out).toBe(Number.POSITIVE_INFINITY)],
    ["-Infinity", Number.NEGATIVE_INFINITY, (out) => expect(out).toBe(Number.NEGATIVE_INFINITY)],
    ["fraction", -12.375, (out) => expect(out).toBe(-12.375)],
    ["BigInt", -(2n ** 100n), (out) => expect(out).toBe(-(2n ** 100n))],
    ["lone surrogate", "a\uD800b", (out) => expect(out).toBe("a\uD800b")],
    ["Date", new Date(1_700_000_000_123), (out) => expect((out as Date).getTime()).toBe(1_700_000_000_123)],
    ["far Date", new Date(8.64e15), (out) => expect((out as Date).getTime()).toBe(8.64e15)],
    ["invalid Date", new Date(Number.NaN), (out) => expect(Number.isNaN((out as Date).getTime())).toBe(true)],
    ["RegExp", /a\/b[0-9]+"$t"/dgimsuy, (out) => expect(String(out)).toBe(String(/a\/b[0-9]+"$t"/dgimsuy))],
    [
      "Map with any keys",
      new Map<unknown, unknown>([
        [{ k: 1 }, [1]],
        [1n, "b"],
        [undefined, null],
        [Number.NaN, -0],
      ]),
      () => {},
    ],
    ["Set", new Set([1, "1", 1n, undefined, { a: 1 }]), () => {}],
    ["array with undefined", [undefined, 1], (out) => expect(0 in (out as unknown[])).toBe(true)],
    [
      "array with holes",
      // biome-ignore lint/suspicious/noSparseArray: holes are the point of this case
      [1, , 3, ,],
      (out) => expect([1 in (out as unknown[]), (out as unknown[]).length]).toEqual([false, 4]),
    ],
    [
      "object keeps undefined key",
      { a: undefined },
      (out) => expect(Object.keys(out as Dict)).toEqual(["a"]),
    ],
    ["nested", { a: [{ b: new Set([new Map([["c", new Date(5)]])]) }] }, () => {}],
    ["ArrayBuffer", new Uint8Array([1, 2, 3]).buffer, (out) => expect(out).toBeInstanceOf(ArrayBuffer)],
    [
      "DataView",
      new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2),
      (out) => expect((out as DataView).getUint8(0)).toBe(8),
    ],
    ["boxed values", [Object(1n), new String("s"), new Number(-0), new Boolean(false)], () => {}],
    [
      "null prototype",
      Object.assign(Object.create(null), { a: 1, __proto__x: 2 }),
      (out) => expect(Object.getPrototypeOf(out)).toBeNull(),
    ],
  ];
  for (const array of typedArrays) {
    cases.push([
      array.constructor.name,
      array,
      (out) => expect((out as object).constructor).toBe(array.constructor),
    ]);
  }

  it.each(cases)("round-trips %s", (_name, value, check) => {
    const out = roundTrip(value);
    expectSame(out, value);
    check(out, value);
  });

  it("stores only the bytes of a typed array view", () => {
    const view = new Uint16Array(new Uint8Array([0, 0, 1, 0, 2, 0, 9, 9]).buffer, 2, 2);
    const out = roundTrip(view);
    expect(out).toBeInstanceOf(Uint16Array);
    expect(Array.from(out)).toEqual([1, 2]);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(4);
  });

  it("round-trips errors with name, message, code, cause and stack", () => {
    const cause = new RangeError("inner");
    const error = Object.assign(new TypeError("outer", { cause }), { code: "E_X", status: 404 });
    const out = roundTrip(error);
    expect(out).toBeInstanceOf(TypeError);
    expect(out.message).toBe("outer");
    expect(out.code).toBe("E_X");
    expect(out.status).toBe(404);
    expect(out.cause).toBeInstanceOf(RangeError);
    expect(out.stack).toBe(error.stack);
    expect(Object.keys(out).sort()).toEqual(["code", "status"]);

    const custom = roundTrip(new CacheValueError("bad"));
    expect(custom).toBeInstanceOf(Error);
    expect([custom.name, custom.message, custom.code]).toEqual(["CacheValueError", "bad", "E_VALUE"]);

    const aggregate = roundTrip(new AggregateError([new Error("a")], "many"));
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.errors[0]).toBeInstanceOf(Error);
    expect((aggregate.errors[0] as Error).message).toBe("a");
  });

  it("stores an unregistered class by toJSON, else by its own data", () => {
    expect(roundTrip({ t: new Temperature(21) })).toStrictEqual({ t: "21C" });
    class Plain {
      a = 1;
      b = new Date(3);
    }
    expect(roundTrip(new Plain())).toStrictEqual({ a: 1, b: new Date(3) });
    const shared = new Temperature(5);
    expect(roundTrip([shared, shared, new Map([[1, 2]])])).toStrictEqual(["5C", "5C", new Map([[1, 2]])]);
  });

  it("stores a plain or null-prototype object that has a toJSON method by it, as JSON.stringify does", () => {
    const money = { amount: 1050n, currency: "EUR", toJSON: () => "10.50 EUR" };
    expect(roundTrip({ price: money })).toStrictEqual({ price: "10.50 EUR" });
    expect(encode({ price: money })).toBe(JSON.stringify({ price: money }));
    const bare = Object.assign(Object.create(null) as Dict, { toJSON: () => ({ at: new Date(1) }) });
    expect(roundTrip([bare])).toStrictEqual([{ at: new Date(1) }]);
    // The JSON form may hold any value the codec keeps, and a shared one stays shared.
    const shared = { toJSON: () => new Map([[1, new Set([2])]]) };
    const [a, b] = decode(encode([shared, shared])) as Map<number, Set<number>>[];
    expect(a).toStrictEqual(new Map([[1, new Set([2])]]));
    expect(b).toBe(a);
    // Built-ins keep their own encoding: a toJSON does not turn a Date into its string.
    const date = Object.assign(new Date(2), { toJSON: () => "no" });
    expect(roundTrip(date)).toStrictEqual(new Date(2));
  });

  it('calls toJSON with the key JSON.stringify passes: the property name, the index, or "" at the top', () => {
    const seen: unknown[] = [];
    const probe = () => ({
      toJSON(key: unknown): unknown {
        seen.push(key);
        return key;
      },
    });
    class Probe {
      toJSON(key: unknown): unknown {
        seen.push(key);
        return key;
      }
    }
    const value = { price: probe(), list: [probe(), 1n, new Probe()], box: new Probe() };
    expect(roundTrip(value)).toStrictEqual({ price: "price", list: ["0", 1n, "2"], box: "box" });
    expect(seen).toStrictEqual(["price", "0", "2", "box"]);
    const plain = { price: probe(), list: [probe(), new Probe()] };
    seen.length = 0;
    const json = JSON.stringify(plain);
    const fromJson = [...seen];
    seen.length = 0;
    expect(encode(plain)).toBe(json);
    expect(seen).toStrictEqual(fromJson);
    seen.length = 0;
    expect(roundTrip(probe())).toBe("");
    expect(roundTrip(new Probe())).toBe("");
    // Inside a sparse array and a null-prototype object too.
    const sparse: unknown[] = [];
    sparse[3] = probe();
    expect(roundTrip(sparse)[3]).toBe("3");
    expect(roundTrip(Object.assign(Object.create(null) as Dict, { at: probe() })).at).toBe("at");
  });

  it("rejects functions, symbols and promises with a CacheValueError that says what to do", () => {
    expect(expectValueError(() => encode({ f: function handler() {} })).message).toContain(
      "function handler",
    );
    expectValueError(() => encode([Symbol("s")]));
    expectValueError(() => encode(Object(Symbol("boxed"))));
    expectValueError(() => encode(Promise.resolve(1)));
    expectValueError(() => encode(() => 1));
  });

  it("rejects built-in and platform objects that keep their data out of reach, naming the type", () => {
    for (const [name, value] of [
      ["WeakMap", new WeakMap()],
      ["WeakRef", new WeakRef({})],
      ["Blob", new Blob(["x"])],
      ["Headers", new Headers()],
      ["Response", new Response("x")],
      ["AbortController", new AbortController()],
      ["Intl.NumberFormat", new Intl.NumberFormat()],
    ] as const) {
      expect(expectValueError(() => encode({ inside: value })).message).toContain(`type ${name}`);
    }
    // Shared memory stays out of stored values (a key reads its bytes, a stored copy would not be shared).
    expect(expectValueError(() => encode(new SharedArrayBuffer(1))).message).toContain(
      "type SharedArrayBuffer",
    );
    // A subclass with fields of its own still keeps its content in internal slots: storing only
    // the fields would hand back an object without the bytes or entries.
    class Upload extends Blob {
      readonly label = "a";
    }
    class Tagged extends Headers {
      readonly origin = "api";
    }
    for (const [name, value] of [
      ["Upload", new Upload(["bytes"])],
      ["Tagged", new Tagged({ a: "1" })],
    ] as const) {
      expect(expectValueError(() => encode({ inside: value })).message).toContain(name);
    }
    // An arguments object and a user's class with data are plain data.
    const args = (function collect(..._: number[]) {
      // biome-ignore lint/complexity/noArguments: the arguments object itself is under test.
      return arguments;
    })(1, 2);
    expect(roundTrip(args)).toStrictEqual({ 0: 1, 1: 2 });
  });
});

describe("codec: references", () => {
  it("keeps cycles and shared references in objects, arrays, maps and sets", () => {
    const shared = { n: 1 };
    const root: Dict = { a: shared, b: [shared], list: [] as unknown[] };
    root.self = root;
    (root.list as unknown[]).push(root.list, root);
    const map = new Map<unknown, unknown>();
    map.set(map, map).set("root", root);
    const set = new Set<unknown>([shared]);
    set.add(set);
    root.map = map;
    root.set = set;

    const out = roundTrip(root);
    expect(out.self).toBe(out);
    expect(out.a).toBe((out.b as unknown[])[0]);
    const list = out.list as unknown[];
    expect(list[0]).toBe(list);
    expect(list[1]).toBe(out);
    const outMap = out.map as Map<unknown, unknown>;
    expect(outMap.get(outMap)).toBe(outMap);
    expect(outMap.get("root")).toBe(out);
    const outSet = out.set as Set<unknown>;
    expect(outSet.has(outSet)).toBe(true);
    expect(outSet.has(out.a)).toBe(true);
  });

  it("keeps identity through errors, null-prototype objects, sparse arrays and escaped objects", () => {
    const error = new Error("loop") as Error & { self?: unknown };
    error.self = error;
    const bare: Dict = Object.create(null);
    bare.me = bare;
    // biome-ignore lint/suspicious/noSparseArray: holes force the sparse form
    const holey: unknown[] = [, 1];
    holey[3] = holey;
    const escaped: Dict = { $t: "Date" };
    escaped.me = escaped;
    const date = new Date(1);
    const out = roundTrip({ error, bare, holey, escaped, dates: [date, date] });
    expect(out.error.self).toBe(out.error);
    expect(out.bare.me).toBe(out.bare);
    expect(out.holey[3]).toBe(out.holey);
    expect(out.escaped.me).toBe(out.escaped);
    expect(out.escaped.$t).toBe("Date");
    expect(out.dates[0]).toBe(out.dates[1]);
  });

  it("never shares state with the encoded value", () => {
    const value = { list: [1] };
    const text = encode(value);
    value.list.push(2);
    expect(decode(text)).toStrictEqual({ list: [1] });
  });
});

describe("codec: the marker key", () => {
  it.each([
    [{ $t: "Date", v: "2020-01-01T00:00:00.000Z" }],
    [{ $t: "ref", v: 0 }],
    [{ $t: "undefined" }],
    [{ $t: { $t: "nan" }, v: [{ $t: "Map", v: [] }] }],
    [[{ $t: undefined }, new Map([["k", { $t: 1n }]])]],
    [Object.assign(Object.create(null), { $t: "object" })],
    [Object.assign(new Error("e"), { $t: "Error" })],
  ])("round-trips user data owning $t: %j", (value) => {
    expectSame(roundTrip(value), value);
  });
});

describe("codec: prototype pollution", () => {
  const pristine = () => {
    expect(({} as Dict).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(Array.prototype).not.toHaveProperty("polluted");
  };

  it.each([
    '{"__proto__":{"polluted":1}}',
    '{"__proto__":{"polluted":1},"x":{"$t":"undefined"}}',
    '{"__proto__":{"$t":"Map","v":[]},"x":{"$t":"nan"}}',
    '{"$t":"object","v":{"__proto__":{"polluted":1},"$t":{"$t":"undefined"}}}',
    '{"$t":"null-proto","v":{"__proto__":{"polluted":1}}}',
    '{"$t":"Error","v":{"name":"Error","message":"m","props":{"__proto__":{"polluted":1}}}}',
    '{"constructor":{"prototype":{"polluted":1}},"prototype":{"polluted":1},"u":{"$t":"undefined"}}',
    '[{"__proto__":{"polluted":1}},{"$t":"ref","v":0}]',
  ])("keeps dangerous keys as own data: %s", (text) => {
    const out = decode(text) as Dict;
    pristine();
    const target = Array.isArray(out) ? (out[0] as Dict) : out;
    const proto: unknown = Object.getPrototypeOf(target);
    if (proto) expect(proto).not.toHaveProperty("polluted");
    const own = Object.getOwnPropertyNames(target);
    expect(
      own.some((key) => key === "__proto__" || key === "constructor" || key === "$t" || key === "name"),
    ).toBe(true);
  });

  it("round-trips objects that own __proto__, constructor and prototype keys", () => {
    const value: Dict = JSON.parse('{"__proto__":{"a":1},"constructor":{"prototype":2},"prototype":null}');
    value.when = new Date(0);
    const out = roundTrip(value);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toStrictEqual({ a: 1 });
    expectSame(out, value);
    pristine();
  });
});

describe("codec: malformed input", () => {
  it.each([
    "",
    "{",
    "undefined",
    "'x'",
    '{"$t":"nope"}',
    '{"$t":7}',
    '{"$t":"ref","v":5}',
    '[{"$t":"ref","v":-1}]',
    '{"$t":"bigint","v":"1.5"}',
    '{"$t":"bigint"}',
    '{"$t":"Map","v":[1]}',
    '{"$t":"Set","v":{}}',
    '{"$t":"Date","v":5}',
    '{"$t":"Uint8Array","v":"!!!!"}',
    '{"$t":"Float64Array","v":"AAA="}',
    '{"$t":"RegExp","v":["(","g"]}',
    '{"$t":"class:NeverRegistered","v":1}',
    '{"$t":"box","v":{"$t":"undefined"}}',
    '{"$t":"sparse","v":[-1]}',
    '{"$t":"sparse","v":[2,5,1]}',
    '{"$t":"Error","v":"x"}',
  ])("throws CacheValueError for %j", (text) => {
    expectValueError(() => decode(text));
  });

  it("throws CacheValueError for a non-string", () => {
    expectValueError(() => decode(42 as unknown as string));
  });
});

describe("codec: values past the runtime's limits", () => {
  // Each "\u0001" is six characters of JSON, so this string's text passes a longest string of
  // 2^29 - 24 (Node, Deno) at about 90 M characters. Not registered where strings are longer.
  if (bufferConstants.MAX_STRING_LENGTH <= 2 ** 30) {
    const escaped = () => "\u0001".repeat(Math.ceil(bufferConstants.MAX_STRING_LENGTH / 6) + 1);

    it("a string whose text would be longer than the longest string throws CacheValueError, alone or nested", () => {
      const value = escaped();
      for (const wrap of [(s: string) => s, (s: string) => ({ s })]) {
        try {
          encode(wrap(value));
          expect.unreachable("encode should have thrown");
        } catch (error) {
          expect(error).toBeInstanceOf(CacheValueError);
          expect((error as Error).message).toMatch(/too large or too deeply nested/);
        }
      }
    });
  }

  it("a value nested deeper than the stack throws CacheValueError that says so", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(() => encode(deep)).toThrow(/too large or too deeply nested/);
    expectValueError(() => encode(deep));
  });
});

describe("codec: registerType", () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  class Point3 extends Point {}
  class Account {
    constructor(
      readonly id: bigint,
      readonly opened: Date,
      readonly owner: Point,
    ) {}
  }
  registerType(
    Point,
    (p) => [p.x, p.y],
    (data) => new Point(...(data as [number, number])),
  );
  registerType(
    Account,
    (a) => ({ id: a.id, opened: a.opened, owner: a.owner }),
    (data) => {
      const d = data as { id: bigint; opened: Date; owner: Point };
      return new Account(d.id, d.opened, d.owner);
    },
    "bank.Account",
  );

  it("round-trips custom classes, nested and with special values in their payload", () => {
    const owner = new Point(1, -0);
    const account = new Account(2n ** 70n, new Date(9), owner);
    expect(encode(owner)).toBe('{"$t":"class:Point","v":[1,{"$t":"-0"}]}');
    const out = roundTrip({ account, owner, map: new Map([[owner, account]]) });
    expect(out.account).toBeInstanceOf(Account);
    expect(out.account.id).toBe(2n ** 70n);
    expect(out.account.opened).toStrictEqual(new Date(9));
    expect(out.owner).toBeInstanceOf(Point);
    expect(Object.is(out.owner.y, -0)).toBe(true);
    expect(out.account.owner).toBe(out.owner);
    expect(out.map.get(out.owner)).toBe(out.account);
    expect(roundTrip(new Point3(1, 2))).toBeInstanceOf(Point);
  });

  it("refuses a second class under a taken name and accepts re-registering the same class", () => {
    class Other {}
    expect(() =>
      registerType(
        Other,
        () => 0,
        () => new Other(),
        "Point",
      ),
    ).toThrow(CacheConfigError);
    expect(() =>
      registerType(
        Object,
        () => 0,
        () => ({}),
      ),
    ).toThrow(CacheConfigError);
    class Renamed {
      v = 1;
    }
    registerType(
      Renamed,
      (r) => r.v,
      () => new Renamed(),
      "renamed.v1",
    );
    registerType(
      Renamed,
      (r) => r.v,
      () => new Renamed(),
      "renamed.v2",
    );
    expect(encode(new Renamed())).toBe('{"$t":"class:renamed.v2","v":1}');
    expectValueError(() => decode('{"$t":"class:renamed.v1","v":1}'));
  });

  it("rejects a payload that refers back to its own instance", () => {
    class Loop {
      me: unknown = this;
    }
    registerType(
      Loop,
      (l) => ({ me: l.me }),
      () => new Loop(),
    );
    expectValueError(() => encode(new Loop()));
  });
});

describe("codec: property-based round trip", () => {
  const extras = fc.oneof(
    fc.bigInt64Array(),
    fc.bigUint64Array(),
    fc.uint8Array().map((bytes) => bytes.buffer),
    fc
      .tuple(fc.string(), fc.constantFrom("", "g", "gi", "imsuy"))
      .map(([s, f]) => new RegExp(s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&"), f)),
    fc.string().map((message) => new RangeError(message)),
  );
  const anything = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    stringUnit: "binary",
    values: [
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.string({ unit: "binary" }),
      fc.constantFrom(null, undefined, -0, Number.NaN),
      extras,
    ],
  });

  it("decode(encode(v)) equals v for anything fast-check builds", () => {
    fc.assert(
      fc.property(anything, (value) => {
        expectSame(roundTrip(value), value);
      }),
      { numRuns: 400 },
    );
  });

  it("keeps the identity of a value stored twice", () => {
    fc.assert(
      fc.property(anything, (value) => {
        const [a, b] = roundTrip([value, { again: value }]) as [unknown, { again: unknown }];
        if (typeof value === "object" && value !== null) expect(b.again).toBe(a);
        expectSame(b.again, value);
      }),
      { numRuns: 200 },
    );
  });

  it("writes plain JSON data exactly as JSON.stringify does and reads it back", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const text = JSON.stringify(raw);
        const clean: unknown = JSON.parse(text);
        fc.pre(!text.includes('"$t"'));
        expect(encode(clean)).toBe(text);
        expectSame(decode(text), clean);
      }),
      { numRuns: 300 },
    );
  });
});

describe("base64", () => {
  const vectors: [string, string, string][] = [
    ["", "", ""],
    ["f", "Zg==", "Zg"],
    ["fo", "Zm8=", "Zm8"],
    ["foo", "Zm9v", "Zm9v"],
    ["foobar", "Zm9vYmFy", "Zm9vYmFy"],
    ["\u00fb\u00ff\u00bf", "w7vDv8K/", "w7vDv8K_"],
  ];

  it.each(vectors)("encodes %j as %s and %s", (text, b64, url) => {
    const bytes = utf8Encode(text);
    expect(bytesToBase64(bytes)).toBe(b64);
    expect(bytesToBase64Url(bytes)).toBe(url);
    expect(utf8Decode(base64ToBytes(b64))).toBe(text);
    expect(utf8Decode(base64UrlToBytes(url))).toBe(text);
    expect(utf8Decode(base64UrlToBytes(b64.replaceAll("+", "-").replaceAll("/", "_")))).toBe(text);
  });

  it("round-trips random bytes in both alphabets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = bytesToBase64(bytes);
        expect(b64).toBe(btoa(String.fromCharCode(...bytes)));
        expect(base64ToBytes(b64)).toStrictEqual(bytes);
        expect(base64UrlToBytes(bytesToBase64Url(bytes))).toStrictEqual(bytes);
      }),
    );
  });

  it("handles multi-megabyte arrays without overflowing the stack", () => {
    const bytes = new Uint8Array(6 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const b64 = bytesToBase64(bytes);
    expect(b64.length).toBe(Math.ceil(bytes.length / 3) * 4);
    const back = base64ToBytes(b64);
    expect(back.length).toBe(bytes.length);
    // A manual scan: vitest's deep equality takes minutes on millions of elements.
    let firstDifference = -1;
    for (let i = 0; i < bytes.length && firstDifference < 0; i++)
      if (back[i] !== bytes[i]) firstDifference = i;
    expect(firstDifference).toBe(-1);
  });

  it.each(["Zm9v!", "Z", "Zm9vY", "Zg=a", "Zg===", "Z===", "Zm 9v", "Zm9v\n", "Zm-_"])(
    "rejects invalid base64 %j",
    (text) => {
      expectValueError(() => base64ToBytes(text));
    },
  );

  it.each(["Zm+v", "Zm/v", "Z", "a b"])("rejects invalid base64url %j", (text) => {
    expectValueError(() => base64UrlToBytes(text));
  });

  it("keeps a BOM, encodes unicode and rejects malformed UTF-8", () => {
    const text = "\uFEFFh\u00e9llo \u{1F600} \u4e16\u754c";
    expect(utf8Decode(utf8Encode(text))).toBe(text);
    expect(utf8Encode("\u00e9")).toStrictEqual(new Uint8Array([0xc3, 0xa9]));
    expectValueError(() => utf8Decode(new Uint8Array([0xff, 0xfe, 0xc3])));
  });
});
