import { CacheConfigError, CacheValueError, errorMessage } from "../core/errors";
import { base64ToBytes, bytesToBase64, utf8Decode, utf8Encode } from "./base64";

/** Compression formats every runtime's CompressionStream supports. */
export type CompressionFormatName = "gzip" | "deflate";

/** Whether this runtime has `CompressionStream` and `DecompressionStream` (Node 18+, Bun, Deno, Workers, browsers). */
export const compressionAvailable = (): boolean =>
  typeof CompressionStream === "function" && typeof DecompressionStream === "function";

/**
 * Compresses `text` (as UTF-8) with `format` (default `gzip`) and returns standard base64,
 * so the result can be stored wherever a string can.
 */
export async function compress(text: string, format: CompressionFormatName = "gzip"): Promise<string> {
  checkSupport(format);
  const bytes = await pump(utf8Encode(String(text)), new CompressionStream(format));
  return bytesToBase64(bytes);
}

/**
 * Reverses `compress`: base64 in, text out. Rejects with `CacheValueError` when the input is not
 * base64, not a complete `format` stream, or not UTF-8 (the core reads that as a miss).
 */
export async function decompress(b64: string, format: CompressionFormatName = "gzip"): Promise<string> {
  checkSupport(format);
  const input = base64ToBytes(b64);
  let bytes: Uint8Array;
  try {
    bytes = await pump(input, new DecompressionStream(format));
  } catch (error) {
    throw new CacheValueError(
      errorMessage(
        "compress",
        `stored value is not valid ${format} data`,
        "treat the entry as a miss and write it again",
      ),
      { cause: error },
    );
  }
  return utf8Decode(bytes);
}

function checkSupport(format: string): void {
  if (format !== "gzip" && format !== "deflate") {
    throw new CacheConfigError(
      errorMessage(
        "compress",
        `unknown compression format ${JSON.stringify(format)}`,
        'use "gzip" or "deflate"',
      ),
    );
  }
  if (!compressionAvailable()) {
    throw new CacheConfigError(
      errorMessage(
        "compress",
        "CompressionStream is not available in this runtime",
        "set `compress: false` or run on a runtime that has it",
      ),
    );
  }
}

/** Writes `input` through a (de)compression stream and collects everything it produces. */
async function pump(
  input: Uint8Array<ArrayBuffer>,
  stream: { readonly writable: WritableStream<BufferSource>; readonly readable: ReadableStream<Uint8Array> },
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Written concurrently with the reads below, or backpressure would stall a large input.
  // Its errors also reach the reader, which reports them; this catch only keeps them handled.
  const written = writer.write(input).then(() => writer.close());
  written.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
  }
  await written;
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
