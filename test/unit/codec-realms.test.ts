// Values made in another realm (a node:vm context here; an iframe or a test environment such as
// jsdom elsewhere) have that realm's Date, Map, Error... classes, so `instanceof` against ours is
// false. The codec must still store them as the types they are, exactly as it stores ours.
import { describe, expect, it } from "vitest";
import { CacheValueError } from "../../src/core/errors";
import { decode, encode } from "../../src/serialization/codec";
import { BUILT_IN_SOURCES, foreign, local } from "../support/realms";

/** Values whose encoding does not depend on where they were made. */
const SOURCES = [
  ...BUILT_IN_SOURCES,
  "Object(12n)",
  "(() => { const shared = new Date(4); return [shared, shared]; })()",
];

describe("codec: values from another realm", () => {
  it.each(SOURCES)("%s is stored as if it were made here", (source) => {
    const value = foreign(source);
    expect(encode(value)).toBe(encode(local(source)));
  });

  it("decodes them as this realm's classes", () => {
    const back = decode(encode(foreign("[new Date(7), new Map([[1, 2]]), new Set([3]), /x/g]"))) as unknown[];
    expect(back[0]).toBeInstanceOf(Date);
    expect((back[0] as Date).getTime()).toBe(7);
    expect(back[1]).toStrictEqual(new Map([[1, 2]]));
    expect(back[2]).toStrictEqual(new Set([3]));
    expect(back[3]).toStrictEqual(/x/g);
  });

  it("stores errors with their name, message, cause, own properties and aggregated errors", () => {
    const made = foreign(
      "(() => { const e = new TypeError('bad', { cause: new RangeError('inner') }); e.code = 'E_BAD'; return e; })()",
    );
    const back = decode(encode(made)) as TypeError & { code: string; cause: RangeError };
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe("bad");
    expect(back.code).toBe("E_BAD");
    expect(back.cause).toBeInstanceOf(RangeError);
    expect(back.cause.message).toBe("inner");
    const aggregate = decode(
      encode(foreign("new AggregateError([new Error('one')], 'many')")),
    ) as AggregateError;
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.errors).toHaveLength(1);
    expect((aggregate.errors[0] as Error).message).toBe("one");
  });

  it.each([
    ["Promise.resolve(1)", /Promise: await it/],
    ["Object(Symbol('s'))", /symbol/],
    ["new WeakMap()", /WeakMap/],
    ["function named() {}", /function named/],
  ])("refuses %s with the message it gets when made here", (source, message) => {
    expect(() => encode(foreign(source))).toThrow(CacheValueError);
    expect(() => encode(foreign(source))).toThrow(message);
    expect(() => encode(local(source))).toThrow(message);
  });
});

describe("codec: objects that only claim a built-in's name", () => {
  it("a toStringTag of Date or Map does not make an object one: its own data is stored", () => {
    const fake = { [Symbol.toStringTag]: "Date", at: 1 };
    expect(decode(encode(fake))).toStrictEqual({ at: 1 });
    class Pretender {
      x = 1;
      get [Symbol.toStringTag]() {
        return "Map";
      }
    }
    expect(decode(encode(new Pretender()))).toStrictEqual({ x: 1 });
  });

  it("a subclass of a built-in that renames its toStringTag is still stored as the built-in", () => {
    class Registry extends Map<string, number> {
      get [Symbol.toStringTag]() {
        return "Registry";
      }
    }
    expect(decode(encode(new Registry([["a", 1]])))).toStrictEqual(new Map([["a", 1]]));
  });

  it("an object whose prototype is a built-in's, without its internal data, is refused", () => {
    expect(() => encode(Object.create(Map.prototype))).toThrow(CacheValueError);
    expect(() => encode(Object.create(Date.prototype))).toThrow(CacheValueError);
  });
});
