// Values made in an iframe have that frame's Date, Map and Error classes: the codec stores them as
// the types they are, and reads them back as this window's.
import { afterAll, describe, expect, it } from "vitest";
import { Cache } from "../../../runtimes/browser";

const frame = document.createElement("iframe");
document.body.append(frame);
const other = frame.contentWindow as unknown as typeof globalThis;

afterAll(() => frame.remove());

describe("browser: values from an iframe", () => {
  it("the iframe is another realm", () => {
    expect(new other.Date(0) instanceof Date).toBe(false);
  });

  it("Date, Map, Set, RegExp, bytes, errors and plain objects round-trip with their types", async () => {
    const cache = new Cache().setup("mem://");
    const error = new other.TypeError("bad");
    (error as TypeError & { code?: string }).code = "E_BAD";
    const made = new other.Object() as Record<string, unknown>;
    Object.assign(made, {
      when: new other.Date(5),
      map: new other.Map([[1, new other.Set(["a"])]]),
      pattern: new other.RegExp("a+", "gi"),
      bytes: new other.Uint8Array([1, 2]),
      buffer: new other.ArrayBuffer(2),
      error,
    });
    await cache.set("v", made);
    const back = (await cache.get("v")) as Record<string, unknown>;
    expect(back.when).toStrictEqual(new Date(5));
    expect(back.map).toStrictEqual(new Map([[1, new Set(["a"])]]));
    expect(back.pattern).toStrictEqual(/a+/gi);
    expect(back.bytes).toStrictEqual(new Uint8Array([1, 2]));
    expect(back.buffer).toStrictEqual(new ArrayBuffer(2));
    expect(back.error).toBeInstanceOf(TypeError);
    expect((back.error as { code?: string }).code).toBe("E_BAD");
  });
});
