import type { Serializer } from "../serialization/codec";
import { compress, decompress } from "../serialization/compress";
import type { Signer } from "../serialization/sign";

/**
 * The stored record. Without metadata it is the serializer's text itself, so a counter is plain
 * decimal text that Redis `INCRBY` can work on. With metadata it is
 * `@` + JSON header + `\n` + payload, where the header carries what the backend cannot:
 * `e` (expiry in epoch ms, for backends whose native TTL cannot honour it), `t` (tags),
 * `c` (payload compression) and `s` (HMAC over key, header and payload).
 */
export interface RecordHeader {
  e?: number;
  t?: string[];
  c?: "gzip";
  s?: string;
}

/** A decoded record: the value plus what its header said. */
export interface DecodedRecord {
  value: unknown;
  expiresAt: number | undefined;
  tags: string[] | undefined;
}

/** How one route turns values into records and back; computed once per setup. */
export interface RecordCodec {
  serializer: Serializer;
  signer: Signer | undefined;
  /** Payloads longer than this many characters are compressed; `Infinity` = never. */
  compressAbove: number;
  /** Largest size, in bytes, a compressed payload may inflate to; a larger one is `"too-large"`. */
  decompressLimit: number;
}

const MARK = 64; // "@"
const QUOTE = 34; // '"'

/** Builds the stored text for `value` under `key`. */
export function encodeRecord(
  codec: RecordCodec,
  key: string,
  value: unknown,
  expiresAt: number | undefined,
  tags: readonly string[] | undefined,
): string | Promise<string> {
  const payload = codec.serializer.encode(value);
  const header: RecordHeader = {};
  let needsHeader = payload.charCodeAt(0) === MARK;
  if (expiresAt !== undefined) {
    header.e = expiresAt;
    needsHeader = true;
  }
  if (tags !== undefined && tags.length > 0) {
    header.t = [...tags];
    needsHeader = true;
  }
  // Most records need neither step, and are encoded without a promise.
  if (payload.length > codec.compressAbove || codec.signer !== undefined)
    return compressAndSign(codec, key, header, payload);
  return needsHeader ? joinRecord(header, payload) : payload;
}

/** The record text of `header` and `payload`: `@`, the header as JSON, a newline, the payload. */
export function joinRecord(header: RecordHeader, payload: string): string {
  return `@${JSON.stringify(header)}\n${payload}`;
}

async function compressAndSign(
  codec: RecordCodec,
  key: string,
  header: RecordHeader,
  text: string,
): Promise<string> {
  let payload = text;
  if (payload.length > codec.compressAbove) {
    payload = await compress(payload, "gzip");
    header.c = "gzip";
  }
  if (codec.signer !== undefined) header.s = await codec.signer.sign(signedText(key, header, payload));
  return joinRecord(header, payload);
}

/**
 * What the HMAC covers: key, expiry, tags, compression and payload, one per line. Each field
 * before the payload holds no newline, so no two records share a text: a key with a newline
 * or a leading `"` is written as JSON (which starts with `"`); any other key as itself, so
 * the records signed before this rule still verify.
 */
function signedText(key: string, header: RecordHeader, payload: string): string {
  const name = key.charCodeAt(0) === QUOTE || key.includes("\n") ? JSON.stringify(key) : key;
  return `${name}\n${header.e ?? ""}\n${header.t ? JSON.stringify(header.t) : ""}\n${header.c ?? ""}\n${payload}`;
}

/** Splits a record into header and payload; throws on a malformed header. */
export function splitRecord(text: string): [RecordHeader | undefined, string] {
  if (text.charCodeAt(0) !== MARK) return [undefined, text];
  const end = text.indexOf("\n");
  if (end < 0) throw new SyntaxError("record header is not terminated");
  const header = JSON.parse(text.slice(1, end)) as unknown;
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SyntaxError("record header is not an object");
  }
  // Another program's "@" text, or damage: its fields reach tag, expiry and counter code.
  if (!isHeader(header as Record<string, unknown>)) throw new SyntaxError("record header is malformed");
  return [header as RecordHeader, text.slice(end + 1)];
}

/** True when the fields isocache reads have the types it writes (no allocation: hot path). */
function isHeader(header: Record<string, unknown>): boolean {
  const { e, t, c, s } = header;
  if (e !== undefined && typeof e !== "number") return false;
  // "gzip" is the only compression written; another would be read as uncompressed text.
  if ((c !== undefined && c !== "gzip") || (s !== undefined && typeof s !== "string")) return false;
  if (t === undefined) return true;
  if (!Array.isArray(t)) return false;
  for (let i = 0; i < t.length; i++) if (typeof t[i] !== "string") return false;
  return true;
}

/** Why a record read as a miss; reported through `onError` except for plain expiry. */
export type RecordRejection = "expired" | "unsigned" | "bad-signature" | "too-large";

/**
 * Decodes a record read from `key`. Returns a rejection reason for expired, unsigned or
 * wrongly signed records and for a payload that inflates past `decompressLimit`, and throws
 * when the text is not a record this codec can read.
 */
export async function decodeRecord(
  codec: RecordCodec,
  key: string,
  text: string,
  now: number,
): Promise<DecodedRecord | RecordRejection> {
  const [header, rawPayload] = splitRecord(text);
  if (header?.e !== undefined && header.e <= now) return "expired";
  if (codec.signer !== undefined) {
    if (header?.s === undefined) return "unsigned";
    const ok = await codec.signer.verify(signedText(key, header, rawPayload), header.s);
    if (!ok) return "bad-signature";
  }
  let payload: string | undefined = rawPayload;
  if (header?.c === "gzip") {
    payload = await decompress(rawPayload, "gzip", codec.decompressLimit);
    if (payload === undefined) return "too-large";
  }
  return { value: codec.serializer.decode(payload), expiresAt: header?.e, tags: header?.t };
}

/** Reads only the header fields the core needs without decoding the payload (no signature check). */
export function peekHeader(text: string): RecordHeader | undefined {
  try {
    return splitRecord(text)[0];
  } catch {
    return undefined;
  }
}
