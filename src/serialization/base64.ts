import { CacheValueError, errorMessage } from "../core/errors";

// String.fromCharCode.apply takes its arguments on the stack: 32 KiB per call stays far below
// every engine's argument limit, so multi-megabyte arrays never overflow it.
const CHUNK = 0x8000;
const PAD = 61; // "="

let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;
let standardTable: Int16Array | undefined;
let urlTable: Int16Array | undefined;

/** Encodes bytes as standard, padded base64 (RFC 4648 section 4). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

/** Encodes bytes as unpadded base64url (RFC 4648 section 5), safe in URLs and keys. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  const text = bytesToBase64(bytes);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === PAD) end--;
  return text.slice(0, end).replaceAll("+", "-").replaceAll("/", "_");
}

/**
 * Decodes standard base64 (padding optional, no whitespace).
 * Throws `CacheValueError` on any character outside the alphabet or an impossible length.
 */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  standardTable ??= buildTable("+/");
  return decodeWith(text, standardTable, "base64");
}

/**
 * Decodes base64url (padding optional, no whitespace).
 * Throws `CacheValueError` on any character outside the alphabet or an impossible length.
 */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  urlTable ??= buildTable("-_");
  return decodeWith(text, urlTable, "base64url");
}

/** Encodes text as UTF-8 bytes (lone surrogates become U+FFFD). */
export function utf8Encode(text: string): Uint8Array<ArrayBuffer> {
  encoder ??= new TextEncoder();
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/** Decodes UTF-8 bytes, keeping a leading BOM; throws `CacheValueError` on malformed UTF-8. */
export function utf8Decode(bytes: Uint8Array): string {
  // ignoreBOM keeps a leading U+FEFF as data, so utf8Decode(utf8Encode(s)) === s for every s.
  decoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new CacheValueError(
      errorMessage("codec", "bytes are not valid UTF-8", "treat the entry as a miss and write it again"),
      { cause: error },
    );
  }
}

function buildTable(extra: string): Int16Array {
  const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${extra}`;
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

function invalid(kind: string, problem: string): CacheValueError {
  return new CacheValueError(
    errorMessage(
      "codec",
      `invalid ${kind} text (${problem})`,
      "treat the entry as a miss and write it again",
    ),
  );
}

function sextet(text: string, index: number, table: Int16Array, kind: string): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? (table[code] ?? -1) : -1;
  if (value < 0) throw invalid(kind, `unexpected character at ${index}`);
  return value;
}

function decodeWith(text: string, table: Int16Array, kind: string): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string") throw invalid(kind, `expected a string, got ${typeof text}`);
  let end = text.length;
  while (end > 0 && text.length - end < 2 && text.charCodeAt(end - 1) === PAD) end--;
  if (end !== text.length && text.length % 4 !== 0) throw invalid(kind, "misplaced padding");
  const tail = end % 4;
  if (tail === 1) throw invalid(kind, "impossible length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const full = end - tail;
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n =
      (sextet(text, i, table, kind) << 18) |
      (sextet(text, i + 1, table, kind) << 12) |
      (sextet(text, i + 2, table, kind) << 6) |
      sextet(text, i + 3, table, kind);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 255;
    out[o++] = n & 255;
  }
  if (tail > 0) {
    let n = (sextet(text, full, table, kind) << 18) | (sextet(text, full + 1, table, kind) << 12);
    if (tail === 3) n |= sextet(text, full + 2, table, kind) << 6;
    out[o++] = n >>> 16;
    if (tail === 3) out[o] = (n >>> 8) & 255;
  }
  return out;
}
