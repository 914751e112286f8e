import { describe, expect, it } from "vitest";
import { CacheConfigError, CacheValueError } from "../../src/core/errors";
import { base64ToBytes, bytesToBase64 } from "../../src/serialization/base64";
import { compress, compressionAvailable, decompress } from "../../src/serialization/compress";
import { gzipBomb as bomb } from "../support/gzip-bomb";

const unicode = "h\u00e9llo w\u00f6rld \u{1F600} \u4e16\u754c \uFEFF \u0000 end";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

const MiB = 1024 * 1024;

describe("compress", () => {
  it("is available on this runtime", () => {
    expect(compressionAvailable()).toBe(true);
  });

  it.each(["gzip", "deflate"] as const)("round-trips unicode and empty text with %s", async (format) => {
    for (const text of [unicode, "", "x"]) {
      const packed = await compress(text, format);
      expect(packed).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
      expect(await decompress(packed, format)).toBe(text);
    }
  });

  it("writes real gzip (magic bytes 1f 8b) by default", async () => {
    const bytes = base64ToBytes(await compress("hello"));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
  });

  it("round-trips multi-megabyte text and actually shrinks it", async () => {
    const line = `{"id":1,"name":"r\u00e9sum\u00e9 \u{1F4C4}","tags":["a","b","c"]}\n`;
    const text = line.repeat(100_000);
    const packed = await compress(text);
    expect(packed.length).toBeLessThan(text.length / 20);
    const back = await decompress(packed);
    expect(back?.length).toBe(text.length);
    expect(back === text).toBe(true);
  });

  it.each([
    ["not base64", "%%%"],
    ["not gzip", bytesToBase64(new TextEncoder().encode("plain text, not compressed"))],
    ["empty input", ""],
  ])("rejects corrupt input (%s) with CacheValueError", async (_name, input) => {
    const error = await rejection(decompress(input));
    expect(error).toBeInstanceOf(CacheValueError);
    expect((error as Error).message).toMatch(/^\[isocache\] \[(compress|codec)\] .+: .+/);
  });

  it("rejects truncated, bit-flipped and wrong-format streams with CacheValueError", async () => {
    const bytes = base64ToBytes(await compress(unicode.repeat(50)));
    const truncated = bytesToBase64(bytes.subarray(0, bytes.length - 9));
    expect(await rejection(decompress(truncated))).toBeInstanceOf(CacheValueError);
    const flipped = bytes.slice();
    flipped[bytes.length - 6] = (flipped[bytes.length - 6] ?? 0) ^ 0xff; // inside the CRC32 / size trailer
    expect(await rejection(decompress(bytesToBase64(flipped)))).toBeInstanceOf(CacheValueError);
    expect(await rejection(decompress(bytesToBase64(bytes), "deflate"))).toBeInstanceOf(CacheValueError);
  });

  it("rejects a compressed stream that is not UTF-8 with CacheValueError", async () => {
    const stream = new CompressionStream("gzip");
    const writer = stream.writable.getWriter();
    void writer.write(new Uint8Array([0xff, 0xfe, 0xfd])).then(() => writer.close());
    const chunks: number[] = [];
    const reader = stream.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(...r.value);
    const error = await rejection(decompress(bytesToBase64(new Uint8Array(chunks))));
    expect(error).toBeInstanceOf(CacheValueError);
  });

  it("stops at the limit: a gzip bomb resolves undefined instead of inflating", async () => {
    const packed = await bomb(8);
    expect(packed.length).toBeLessThan(16_000);
    expect(await decompress(packed, "gzip", MiB)).toBeUndefined();
  });

  it("takes output of exactly the limit, and refuses one byte more", async () => {
    const packed = await compress("x".repeat(MiB));
    expect(await decompress(packed, "gzip", MiB)).toBe("x".repeat(MiB));
    expect(await decompress(packed, "gzip", MiB - 1)).toBeUndefined();
  });

  it("limits output to 64 MiB by default", async () => {
    expect(await decompress(await bomb(65))).toBeUndefined();
  });

  it("stops reading from the decompressor once past the limit, and cancels it", async () => {
    // The real DecompressionStream, with a count of the bytes it hands out.
    const Real = globalThis.DecompressionStream;
    let handedOut = 0;
    let cancelled = false;
    class Counted {
      readonly writable: WritableStream<BufferSource>;
      readonly readable: ReadableStream<Uint8Array>;
      constructor(format: CompressionFormat) {
        const real = new Real(format);
        this.writable = real.writable;
        const reader = real.readable.getReader();
        this.readable = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else {
              handedOut += value.byteLength;
              controller.enqueue(value);
            }
          },
          cancel(reason) {
            cancelled = true;
            return reader.cancel(reason);
          },
        });
      }
    }
    const packed = await bomb(32);
    globalThis.DecompressionStream = Counted as unknown as typeof DecompressionStream;
    try {
      expect(await decompress(packed, "gzip", MiB)).toBeUndefined();
    } finally {
      globalThis.DecompressionStream = Real;
    }
    expect(handedOut).toBeGreaterThan(MiB);
    expect(handedOut).toBeLessThan(2 * MiB);
    expect(cancelled).toBe(true);
  });

  it("refuses an unknown format with CacheConfigError", async () => {
    const error = await rejection(compress("x", "brotli" as "gzip"));
    expect(error).toBeInstanceOf(CacheConfigError);
  });
});
