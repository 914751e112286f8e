// Stored records whose header is JSON but not the shape isocache writes (another program's
// "@"-prefixed text, or damage): every command treats them as unreadable, none throws a TypeError.
import { describe, expect, it } from "vitest";
import { Cache, type CacheError, CacheValueError } from "../../runtimes/node";
import { decodeRecord, type RecordCodec, splitRecord } from "../../src/core/envelope";
import { defaultSerializer } from "../../src/serialization/codec";
import { gzipBomb } from "../support/gzip-bomb";

const BAD_HEADERS = [
  '@{"t":5}\n1',
  '@{"t":"t1"}\n1',
  '@{"t":null}\n1',
  '@{"t":["t1",5]}\n1',
  '@{"e":"soon"}\n1',
  '@{"e":null}\n1',
  '@{"c":5}\n1',
  '@{"c":"br"}\n1',
  '@{"c":"gzip\\n"}\n1',
  '@{"s":[]}\n1',
];

function watched() {
  const errors: CacheError[] = [];
  const cache = new Cache().setup("mem://", { onError: (error) => errors.push(error) });
  return { cache, errors };
}

describe("record headers", () => {
  it.each(BAD_HEADERS)("splitRecord refuses the header of %j", (text) => {
    expect(() => splitRecord(text)).toThrow(SyntaxError);
  });

  it("splitRecord reads the headers isocache writes", () => {
    expect(splitRecord('@{"e":5,"t":["a"],"c":"gzip","s":"x"}\n1')).toEqual([
      { e: 5, t: ["a"], c: "gzip", s: "x" },
      "1",
    ]);
    expect(splitRecord("1")).toEqual([undefined, "1"]);
  });

  it.each(BAD_HEADERS)("a record with the header of %j reads as a reported miss", async (text) => {
    const { cache, errors } = watched();
    await cache.setRaw("k", text);
    expect(await cache.get("k", "miss")).toBe("miss");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CacheValueError);
  });

  it.each(BAD_HEADERS)(
    "deleteTags, expire and incr get past a record with the header of %j",
    async (text) => {
      const { cache } = watched();
      await cache.set("k", 1, { tags: ["t1"] });
      await cache.setRaw("k", text);
      await expect(cache.deleteTags("t1")).resolves.toBeTypeOf("number");
      await cache.setRaw("k", text);
      await expect(cache.expire("k", 10_000)).resolves.toBeTypeOf("boolean");
      await cache.setRaw("k", text);
      await expect(cache.incr("k")).resolves.toBe(1);
    },
  );
});

describe("compressed records", () => {
  const MiB = 1024 * 1024;
  const codec: RecordCodec = {
    serializer: defaultSerializer,
    signer: undefined,
    compressAbove: Number.POSITIVE_INFINITY,
    decompressLimit: MiB,
  };

  it("a payload that inflates past decompressLimit is turned down as too-large, not decoded", async () => {
    // Valid JSON once inflated: without the limit it would decode to an 8 MiB string.
    const bomb = await gzipBomb(8, 0x61, '"', '"');
    expect(await decodeRecord(codec, "k", `@{"c":"gzip"}\n${bomb}`, 0)).toBe("too-large");
  });

  it("decompressLimit may be given in the URL", async () => {
    const errors: CacheError[] = [];
    const cache = new Cache().setup(`mem://?decompressLimit=${MiB}`, {
      onError: (error) => errors.push(error),
    });
    await cache.setRaw("k", `@{"c":"gzip"}\n${await gzipBomb(2, 0x61, '"', '"')}`);
    expect(await cache.get("k", "miss")).toBe("miss");
    expect(errors[0]?.message).toMatch(/more than 1048576 bytes/);
  });

  it("a payload within decompressLimit decodes", async () => {
    const small = await gzipBomb(0, 0x61, '"', `${"b".repeat(1000)}"`);
    expect(await decodeRecord(codec, "k", `@{"c":"gzip"}\n${small}`, 0)).toEqual({
      value: "b".repeat(1000),
      expiresAt: undefined,
      tags: undefined,
    });
  });
});

describe("signed records", () => {
  const QUIET = { onError: () => {} };

  it("a record signed for a key ending in a newline reads as a miss under the key without it", async () => {
    const cache = new Cache().setup("mem://", { ...QUIET, secret: "s1" });
    await cache.set("user:1\n", "admin");
    const raw = (await cache.getRaw("user:1\n")) as string;
    const [header, payload] = splitRecord(raw);
    // The key's newline moved into the payload, which JSON.parse skips as whitespace.
    await cache.setRaw("user:1", `@${JSON.stringify(header)}\n\n${payload}`);
    expect(await cache.get("user:1", "miss")).toBe("miss");
    expect(await cache.get("user:1\n")).toBe("admin");
  });

  it("a record moved between keys that differ in newlines or a leading quote reads as a miss", async () => {
    const cache = new Cache().setup("mem://", { ...QUIET, secret: "s1" });
    const keys = ["a", "a\n", "a\n\n", '"a"', '"a\\n"', "a\nb", '"a\nb"'];
    const records = new Map<string, string>();
    for (const key of keys) {
      await cache.set(key, key);
      records.set(key, (await cache.getRaw(key)) as string);
    }
    for (const [from, record] of records) {
      const [header, payload] = splitRecord(record);
      for (const to of keys) {
        if (to === from) continue;
        for (const extra of ["", "\n", "\n\n"]) {
          await cache.setRaw(to, `@${JSON.stringify(header)}\n${extra}${payload}`);
          expect(await cache.get(to, "miss")).toBe("miss");
        }
      }
    }
  });

  it("signed records of ordinary keys read back (their signatures did not change)", async () => {
    const cache = new Cache().setup("mem://", { ...QUIET, secret: "s1" });
    // Written by the format before keys with a newline or leading quote were quoted.
    await cache.setRaw("user:42", '@{"s":"19bjNtcyDo0HuqFZVf3ZF74Op_mM1fxXz_3hsb_UrSs"}\n{"a":1}');
    expect(await cache.get("user:42", "miss")).toEqual({ a: 1 });
  });
});
