// Values made in an iframe have that frame's Date, Map, FormData and Blob classes: keys read them
// as the kinds they are, so equal values give one key whichever frame made them.
import { afterAll, describe, expect, it } from "vitest";
import { Cache, CacheArgumentError } from "../../../runtimes/browser";
import { renderText, stableRender } from "../../../src/keys/render";
import { compileKey } from "../../../src/keys/template";

const frame = document.createElement("iframe");
document.body.append(frame);
const other = frame.contentWindow as unknown as typeof globalThis;

afterAll(() => frame.remove());

/** The same value built with the classes of `scope`. */
function made(scope: typeof globalThis): unknown[] {
  const form = new scope.FormData();
  form.append("q", "a");
  form.append("q", "b");
  return [
    new scope.Date(5),
    new scope.Map<unknown, unknown>([[1, new scope.Set(["a"])]]),
    new scope.RegExp("a+", "gi"),
    new scope.Uint8Array([1, 2]).buffer,
    new scope.DataView(new scope.Uint8Array([3]).buffer),
    new scope.TypeError("bad"),
    new scope.String("boxed"),
    form,
    new scope.URLSearchParams("a=1&b=2"),
    new scope.Headers({ accept: "text/html" }),
    new scope.AbortController().signal,
    Object.assign(new scope.Object(), { when: new scope.Date(1), tags: new scope.Set(["x"]) }),
  ];
}

describe("browser: keys of values from an iframe", () => {
  it("the iframe is another realm", () => {
    expect(new other.Map() instanceof Map).toBe(false);
  });

  it("renders each built-in and web collection as it renders this window's", () => {
    const here = made(globalThis);
    const there = made(other);
    for (let i = 0; i < here.length; i++) {
      expect(stableRender(there[i])).toBe(stableRender(here[i]));
      expect(renderText(there[i])).toBe(renderText(here[i]));
    }
  });

  it("an automatic key is the same for equal arguments from either realm", async () => {
    const cache = new Cache().setup("mem://");
    const find = cache.cached({ ttl: "10s" })(async function find(filter: unknown) {
      return typeof filter;
    });
    const key = await find.key(new Map([["since", new Date(5)]]));
    expect(await find.key(new other.Map([["since", new other.Date(5)]]))).toBe(key);
    expect(await find.key(new other.Map([["since", new other.Date(6)]]))).not.toBe(key);
  });

  it("refuses an iframe's Blob, alone or in a form, and len reads its size", () => {
    const form = new other.FormData();
    form.append("file", new other.Blob(["abc"]), "a.txt");
    for (const value of [new other.Blob(["abc"]), form, other.Promise.resolve(1)]) {
      expect(() => stableRender(value)).toThrow(CacheArgumentError);
    }
    const len = compileKey("{0:len}", ["v"]);
    expect(len([new other.Blob(["abcd"])])).toBe("4");
    expect(len([form])).toBe("1");
    expect(len([new other.Headers({ a: "1", b: "2" })])).toBe("2");
    expect(len([new other.ArrayBuffer(3)])).toBe("3");
  });
});
