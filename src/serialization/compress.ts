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

/** Largest output `decompress` produces unless told otherwise, in bytes (64 MiB). */
export const DECOMPRESS_LIMIT = 64 * 1024 * 1024;

/**
 * Reverses `compress`: base64 in, text out. Resolves `undefined` once the output passes `limit`
 * bytes (default 64 MiB): reading stops there and the stream is cancelled, since a few KB of
 * hostile gzip inflate to gigabytes. Rejects with `CacheValueError` when the input is not base64,
 * not a complete `format` stream, or not UTF-8 (the core reads both as a miss).
 */
export async function decompress(
  b64: string,
  format: CompressionFormatName = "gzip",
  limit: number = DECOMPRESS_LIMIT,
): Promise<string | undefined> {
  checkSupport(format);
  const input = base64ToBytes(b64);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await pump(input, new DecompressionStream(format), limit);
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
  return bytes === undefined ? undefined : utf8Decode(bytes);
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

/**
 * Input goes in slices of this many bytes: a decompressor may inflate each write whole before
 * its reader can stop it, and deflate expands at most about 1032-fold, so one slice's output
 * stays under 9 MiB.
 */
const SLICE = 8 * 1024;

type Pair = {
  readonly writable: WritableStream<BufferSource>;
  readonly readable: ReadableStream<Uint8Array>;
};

/**
 * Writes `input` through a (de)compression stream and collects what it produces, or cancels
 * the stream and returns `undefined` as soon as that passes `limit` bytes.
 */
function pump(input: Uint8Array<ArrayBuffer>, stream: Pair): Promise<Uint8Array>;
function pump(input: Uint8Array<ArrayBuffer>, stream: Pair, limit: number): Promise<Uint8Array | undefined>;
async function pump(
  input: Uint8Array<ArrayBuffer>,
  stream: Pair,
  limit = Number.POSITIVE_INFINITY,
): Promise<Uint8Array | undefined> {
  // Written concurrently with the reads below, or backpressure would stall a large input.
  // Its errors also reach the reader, which reports them; this catch only keeps them handled.
  const written = feed(stream.writable.getWriter(), input);
  written.catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Cancelling errors the writable side too, which ends `feed` at its next write.
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  await written;
  return concat(chunks, total);
}

async function feed(
  writer: WritableStreamDefaultWriter<BufferSource>,
  input: Uint8Array<ArrayBuffer>,
): Promise<void> {
  for (let at = 0; at < input.byteLength; at += SLICE) await writer.write(input.subarray(at, at + SLICE));
  await writer.close();
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
