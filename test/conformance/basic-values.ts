import { type Harness, MISS, matchSorted, rejection } from "./basic-harness";

const PRIMITIVES: readonly (readonly [string, unknown])[] = [
  ["an empty string", ""],
  ["a string", "hello"],
  ["a string with emoji, NUL, quotes and line breaks", "żółw 🐢\u0000\r\n\t\"'\\"],
  ["a string that looks like JSON", '{"a":1}'],
  ['the numeric string "42"', "42"],
  ['the string "null"', "null"],
  ['the string "undefined"', "undefined"],
  ["0", 0],
  ["-0", -0],
  ["a negative integer", -42],
  ["a fraction", 0.1 + 0.2],
  ["a negative fraction", -273.15],
  ["Number.MAX_SAFE_INTEGER", Number.MAX_SAFE_INTEGER],
  ["Number.MIN_VALUE", Number.MIN_VALUE],
  ["Number.MAX_VALUE", Number.MAX_VALUE],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY],
  ["true", true],
  ["false", false],
  ["null", null],
  ["undefined (a stored undefined is a hit)", undefined],
  ["a BigInt", 123n],
  ["BigInt 0", 0n],
  ["a negative BigInt wider than 64 bits", -(2n ** 100n) - 7n],
];

const TYPED_ARRAYS: readonly (readonly [string, () => ArrayBufferView & ArrayLike<unknown>])[] = [
  ["Uint8Array with every byte value", () => Uint8Array.from({ length: 256 }, (_, i) => i)],
  ["an empty Uint8Array", () => new Uint8Array(0)],
  [
    "a Uint8Array viewing part of a larger buffer",
    () => new Uint8Array(Uint8Array.of(9, 1, 2, 3, 9).buffer, 1, 3),
  ],
  ["Int8Array", () => Int8Array.of(-128, -1, 0, 1, 127)],
  ["Uint8ClampedArray", () => Uint8ClampedArray.of(0, 128, 255)],
  ["Int16Array", () => Int16Array.of(-32768, -1, 0, 32767)],
  ["Uint16Array", () => Uint16Array.of(0, 1, 65535)],
  ["Int32Array", () => Int32Array.of(-2147483648, -1, 0, 2147483647)],
  ["Uint32Array", () => Uint32Array.of(0, 1, 4294967295)],
  [
    "Float32Array with -0, NaN and Infinity",
    () => Float32Array.of(0, -0, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY),
  ],
  [
    "Float64Array with -0, NaN and -Infinity",
    () => Float64Array.of(0, -0, Math.PI, -1e-300, Number.NaN, Number.NEGATIVE_INFINITY),
  ],
  ["BigInt64Array", () => BigInt64Array.of(-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n)],
  ["BigUint64Array", () => BigUint64Array.of(0n, 2n ** 64n - 1n)],
];

/** A structure of every supported kind, built afresh for each comparison. */
function everything(): Record<string, unknown> {
  return {
    text: "t",
    list: [1, "two", null, undefined, [3, [4]]],
    when: new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
    map: new Map<unknown, unknown>([["k", new Set([1, 2])]]),
    big: -5n,
    pattern: /a+b/gi,
    bytes: Uint8Array.of(1, 2, 3),
    floats: Float64Array.of(0.5),
    nested: { deeper: { deepest: { value: true, missing: undefined } } },
  };
}

/** SPEC 4 value round-trips and mutation isolation. */
export function valueTests(h: Harness): void {
  const { t } = h;

  t.describe("values round-trip with their types", () => {
    for (const [label, value] of PRIMITIVES) {
      t.it(`round-trips ${label}`, async () => {
        const c = await h.open();
        await c.set("v", value);
        t.expect(await c.get("v", MISS)).toBe(value);
      });
    }

    for (const [label, make] of TYPED_ARRAYS) {
      t.it(`round-trips ${label}`, async () => {
        const c = await h.open();
        const value = make();
        await c.set("v", value);
        const got = (await c.get("v")) as ArrayBufferView & ArrayLike<unknown>;
        t.expect(got).toBeInstanceOf(value.constructor as abstract new () => unknown);
        t.expect(got.constructor).toBe(value.constructor);
        t.expect(got.byteLength).toBe(value.byteLength);
        t.expect(Array.from(got)).toEqual(Array.from(value));
      });
    }

    t.it("round-trips Dates, before and after the epoch", async () => {
      const c = await h.open();
      const dates = [new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)), new Date(-1), new Date(0)];
      await c.set("v", dates);
      const got = (await c.get("v")) as Date[];
      t.expect(got.map((date) => date instanceof Date)).toEqual([true, true, true]);
      t.expect(got.map((date) => date.getTime())).toEqual(dates.map((date) => date.getTime()));
    });

    t.it("round-trips an invalid Date as an invalid Date", async () => {
      const c = await h.open();
      await c.set("v", new Date(Number.NaN));
      const got = await c.get("v");
      t.expect(got).toBeInstanceOf(Date);
      t.expect((got as Date).getTime()).toBeNaN();
    });

    t.it("round-trips a Map with non-string keys, in insertion order", async () => {
      const c = await h.open();
      const entries: [unknown, unknown][] = [
        ["s", 1],
        [2, "two"],
        [{ o: 1 }, [1]],
        [null, new Map([["inner", true]])],
      ];
      await c.set("v", new Map(entries));
      const got = await c.get("v");
      t.expect(got).toBeInstanceOf(Map);
      t.expect([...(got as Map<unknown, unknown>)]).toStrictEqual(entries);
    });

    t.it("round-trips a Set of mixed values, in insertion order", async () => {
      const c = await h.open();
      const members: unknown[] = ["a", 1, { o: 1 }, null, new Date(0), 2n];
      await c.set("v", new Set(members));
      const got = await c.get("v");
      t.expect(got).toBeInstanceOf(Set);
      t.expect([...(got as Set<unknown>)]).toStrictEqual(members);
    });

    t.it("round-trips RegExps with their source and flags", async () => {
      const c = await h.open();
      const patterns = [/a+b\/c[^\]]*$/giu, /(?<year>\d{4})-\k<year>/msy, /x/d];
      await c.set("v", patterns);
      const got = (await c.get("v")) as RegExp[];
      for (const [index, pattern] of patterns.entries()) {
        t.expect(got[index]).toBeInstanceOf(RegExp);
        t.expect(got[index]?.source).toBe(pattern.source);
        t.expect(got[index]?.flags).toBe(pattern.flags);
      }
    });

    t.it("round-trips nested objects and arrays, keeping undefined members", async () => {
      const c = await h.open();
      await c.set("v", everything());
      const got = (await c.get("v")) as Record<string, unknown>;
      t.expect(got).toStrictEqual(everything());
      t.expect(Object.hasOwn(got, "text")).toBe(true);
      const deepest = (got.nested as { deeper: { deepest: object } }).deeper.deepest;
      t.expect(Object.hasOwn(deepest, "missing")).toBe(true);
      t.expect((got.list as unknown[]).length).toBe(5);
    });

    t.it("round-trips a deeply nested structure", async () => {
      const c = await h.open();
      let deep: Record<string, unknown> = { leaf: true };
      for (let depth = 0; depth < 200; depth++) deep = { child: deep, list: [depth] };
      await c.set("v", deep);
      t.expect(await c.get("v")).toStrictEqual(deep);
    });

    t.it("round-trips cyclic objects, arrays and Maps", async () => {
      const c = await h.open();
      const node: Record<string, unknown> = { name: "root" };
      node.self = node;
      node.children = [node, { parent: node }];
      const list: unknown[] = [1];
      list.push(list);
      const map = new Map<string, unknown>();
      map.set("me", map);
      await c.setMany([
        ["node", node],
        ["list", list],
        ["map", map],
      ]);
      const gotNode = (await c.get("node")) as Record<string, unknown> & {
        children: Record<string, unknown>[];
      };
      t.expect(gotNode).not.toBe(node);
      t.expect(gotNode.name).toBe("root");
      t.expect(gotNode.self).toBe(gotNode);
      t.expect(gotNode.children[0]).toBe(gotNode);
      t.expect(gotNode.children[1]?.parent).toBe(gotNode);
      const gotList = (await c.get("list")) as unknown[];
      t.expect(gotList[0]).toBe(1);
      t.expect(gotList[1]).toBe(gotList);
      const gotMap = (await c.get("map")) as Map<string, unknown>;
      t.expect(gotMap).toBeInstanceOf(Map);
      t.expect(gotMap.get("me")).toBe(gotMap);
    });

    t.it("an own __proto__ key round-trips as data and pollutes no prototype", async () => {
      const c = await h.open();
      const hostile = JSON.parse(
        '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
      );
      await c.set("v", hostile);
      const got = (await c.get("v")) as Record<string, unknown>;
      t.expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      t.expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
      t.expect((got as { polluted?: unknown }).polluted).toBeUndefined();
      t.expect(Object.getOwnPropertyNames(got).sort()).toEqual(["__proto__", "constructor"]);
    });

    t.it("an object with a toJSON method, plain or a class instance, is stored by it", async () => {
      const c = await h.open();
      class Money {
        constructor(readonly cents: bigint) {}
        toJSON() {
          return `${this.cents / 100n}.${String(this.cents % 100n).padStart(2, "0")}`;
        }
      }
      const plain = { cents: 1050n, toJSON: () => ({ shown: "10.50", at: new Date(5) }) };
      await c.set("v", { a: new Money(1050n), b: plain });
      t.expect(await c.get("v")).toStrictEqual({ a: "10.50", b: { shown: "10.50", at: new Date(5) } });
    });

    t.it("getMany, setMany, getOrSet and getMatch keep types too", async () => {
      const c = await h.open();
      await c.setMany([
        ["a", everything()],
        ["b", 7n],
      ]);
      t.expect(await c.getMany(["a", "b"])).toStrictEqual([everything(), 7n]);
      t.expect(await matchSorted(c, "*")).toStrictEqual([
        ["a", everything()],
        ["b", 7n],
      ]);
      t.expect(await c.getOrSet("c", () => new Set([1n]))).toStrictEqual(new Set([1n]));
      t.expect(await c.getOrSet("c", () => "not called")).toStrictEqual(new Set([1n]));
    });
  });

  t.describe("stored values are isolated from the caller's objects", () => {
    t.it("mutating an object after set does not change the cached value", async () => {
      const c = await h.open();
      const value = everything() as {
        list: unknown[];
        when: Date;
        map: Map<unknown, unknown>;
        bytes: Uint8Array;
      };
      await c.set("v", value);
      value.list.push("added");
      value.when.setTime(0);
      value.map.set("added", 1);
      value.bytes[0] = 99;
      t.expect(await c.get("v")).toStrictEqual(everything());
    });

    t.it(
      "a platform object whose data a cache cannot copy is refused, and the stored value kept",
      async () => {
        const c = await h.open();
        await c.set("v", "before");
        const opaque: [string, unknown][] = [
          ["WeakMap", new WeakMap()],
          ["WeakSet", new WeakSet()],
          ["Blob", new Blob(["bytes"])],
          ["Headers", new Headers({ a: "1" })],
          ["URLSearchParams", new URLSearchParams("a=1")],
          ["FormData", new FormData()],
          ["ReadableStream", new ReadableStream()],
          ["Generator", (function* generate() {})()],
        ];
        for (const [name, value] of opaque) {
          const error = await rejection(() => c.set("v", { nested: [value] }));
          t.expect(error).toBeInstanceOf(h.lib.CacheValueError);
          t.expect((error as Error).message).toContain(name);
          t.expect(await c.get("v")).toBe("before");
        }
        // A class of one's own still stores its own data, and an empty one an empty object.
        class Point {
          x = 1;
          y = 2;
        }
        class Empty {}
        await c.set("v", [new Point(), new Empty()]);
        t.expect(await c.get("v")).toStrictEqual([{ x: 1, y: 2 }, {}]);
        // A platform object with a toJSON on every runtime is stored through it.
        await c.set("v", { at: new URL("https://example.com/a?b=1") });
        t.expect(await c.get("v")).toStrictEqual({ at: "https://example.com/a?b=1" });
      },
    );

    t.it(
      "mutating a value returned by get, getMany or getOrSet does not change the cached value",
      async () => {
        const c = await h.open();
        await c.set("v", everything());
        const fromGet = (await c.get("v")) as { list: unknown[]; map: Map<unknown, unknown> };
        fromGet.list.length = 0;
        fromGet.map.clear();
        const [fromMany] = (await c.getMany(["v"])) as [{ nested: Record<string, unknown> }];
        fromMany.nested.deeper = "replaced";
        const fromGetOrSet = (await c.getOrSet("v", () => null)) as { bytes: Uint8Array; text: string };
        fromGetOrSet.bytes.fill(0);
        fromGetOrSet.text = "changed";
        t.expect(await c.get("v")).toStrictEqual(everything());
      },
    );
  });
}
