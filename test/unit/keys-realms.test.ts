// Values made in another realm (a node:vm context here; an iframe in a browser) have that realm's
// Date, Map, Error... classes, so `instanceof` against ours is false. A key must still read them
// as the kinds they are: equal values give one key wherever they were made.
import { describe, expect, it } from "vitest";
import { CacheArgumentError } from "../../src/core/errors";
import { renderArgs, renderText, stableRender } from "../../src/keys/render";
import { compileKey } from "../../src/keys/template";
import { BUILT_IN_SOURCES, foreign, local } from "../support/realms";

const SOURCES = [
  ...BUILT_IN_SOURCES,
  "new TypeError('bad')",
  "new RangeError('far')",
  "(() => { const m = new Map(); m.set('self', m); return m; })()",
];

/** The message `render` throws for `value`; fails the test when it renders instead. */
function refusal(value: unknown, render: (value: unknown) => string): string {
  try {
    render(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CacheArgumentError);
    return (error as Error).message;
  }
  throw new Error(`expected ${Object.prototype.toString.call(value)} to be refused`);
}

describe("keys: values from another realm", () => {
  it("the vm context is another realm", () => {
    expect(foreign("new Date(0)") instanceof Date).toBe(false);
  });

  it.each(SOURCES)("%s renders as if it were made here", (source) => {
    expect(stableRender(foreign(source))).toBe(stableRender(local(source)));
    expect(renderText(foreign(source))).toBe(renderText(local(source)));
    expect(renderArgs([foreign(source), 1])).toBe(renderArgs([local(source), 1]));
  });

  it("different values from another realm still give different keys", () => {
    const pairs = [
      ["new Map([[1, 2]])", "new Map([[1, 3]])"],
      ["new Set([1])", "new Set([2])"],
      ["new Date(1)", "new Date(2)"],
      ["new Uint8Array([1]).buffer", "new Uint8Array([2]).buffer"],
      ["new DataView(new Uint8Array([1]).buffer)", "new DataView(new Uint8Array([2]).buffer)"],
      ["/a/g", "/a/i"],
      ["new String('a')", "new String('b')"],
    ];
    for (const [a, b] of pairs)
      expect(stableRender(foreign(a as string))).not.toBe(stableRender(foreign(b as string)));
  });

  it("refuses the opaque kinds of another realm with the message it gives for ours", () => {
    for (const source of [
      "Promise.resolve(1)",
      "new WeakMap()",
      "new WeakSet()",
      "new WeakRef({})",
      "Object(1n)",
    ]) {
      for (const render of [stableRender, renderText]) {
        expect(refusal(foreign(source), render)).toBe(refusal(local(source), render));
      }
    }
  });

  it("templates read another realm's Dates and Map entries", () => {
    expect(compileKey("{0}", ["d"])([foreign("new Date(5)")])).toBe("1970-01-01T00:00:00.005Z");
    expect(compileKey("{0.k}", ["m"])([foreign("new Map([['k', 'v']])")])).toBe("v");
  });

  it("len counts another realm's Maps, Sets, buffers and records", () => {
    const len = compileKey("{0:len}", ["v"]);
    expect(len([foreign("new Map([[1, 2], [3, 4]])")])).toBe("2");
    expect(len([foreign("new Set([1, 2, 3])")])).toBe("3");
    expect(len([foreign("new ArrayBuffer(4)")])).toBe("4");
    expect(len([foreign("({ a: 1 })")])).toBe("1");
  });

  it("hash reads another realm's bytes as bytes", async () => {
    const hash = compileKey("{0:hash}", ["b"]);
    for (const source of [
      "new Uint8Array([1, 2]).buffer",
      "new Uint8Array([1, 2])",
      "new DataView(new Uint8Array([1, 2]).buffer)",
    ]) {
      expect(await hash([foreign(source)])).toBe(await hash([local(source)]));
    }
    expect(await hash([foreign("new Uint8Array([1, 2]).buffer")])).toBe(await hash([new Uint8Array([1, 2])]));
  });

  it("a class that only claims a built-in's tag is not taken for one", () => {
    class Fake {
      readonly id = 1;
      get [Symbol.toStringTag](): string {
        return "Map";
      }
    }
    class Dated {
      readonly id = 2;
      get [Symbol.toStringTag](): string {
        return "Date";
      }
    }
    expect(stableRender(new Fake())).toBe('Fake{"id":1}');
    expect(stableRender(new Dated())).toBe('Dated{"id":2}');
    expect(renderText(new Dated())).toBe('Dated{"id":2}');
    // A subclass that renames its tag is still what it extends.
    class Renamed<K, V> extends Map<K, V> {
      get [Symbol.toStringTag](): string {
        return "Renamed";
      }
    }
    expect(stableRender(new Renamed([[1, 2]]))).toBe("Map{1=>2}");
  });
});
