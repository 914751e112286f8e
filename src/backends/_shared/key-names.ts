// Cache keys as names that survive storage which treats names as paths: file systems (fs
// backend, unstorage's fs driver) and unstorage's key normalisation, which turns `/` and `\` into
// its `:` separator, drops everything after `?` and rejects `..` segments.
//
// Percent-encoding, not base64url: only `a-z`, `0-9`, `-` and `_` stay as they are, every other
// byte of the key's UTF-8 becomes `%XX` with upper-case hex. Upper-case letters are escaped too,
// so two names never differ only by case and case-insensitive file systems (macOS, Windows)
// cannot merge `UPPER` and `upper`; no name contains `.`, `/`, `\`, `:`, `?`, NUL or a space, so
// `.`, `..`, `../up` and absolute paths are ordinary names inside the directory. Keys stay
// readable in a directory listing, which base64 would lose, and base64url's mixed case is unsafe
// on exactly those file systems. Lone surrogates are encoded as WTF-8 (the 3-byte form UTF-8
// would use), so no two JavaScript strings share a name, as they would through TextEncoder.
//
// Names are capped below the 255-byte limit of ext4, APFS and NTFS with room for the suffixes the
// backends add: a longer name keeps a readable head and ends in `~` plus the SHA-256 of the key,
// and the backend stores the full encoded key with the value to list it back.

/** Longest name returned as a plain encoding; longer keys get a hashed name. */
export const MAX_PLAIN_NAME = 180;
const HEAD = 96;
const HEX = "0123456789ABCDEF";
const SAFE = /^[a-z0-9_-]$/;
const PLAIN_NAME = /^(?:[a-z0-9_-]|%[0-9A-F]{2})+$/;
const HASHED_NAME = /^(?:[a-z0-9_-]|%[0-9A-F]{2})*~[0-9a-f]{64}$/;

/** The percent-encoding of `key` (any length); equal keys give equal text, different keys different text. */
export function encodeKey(key: string): string {
  let out = "";
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    if (unit < 0x80) {
      const char = key[i] as string;
      out += SAFE.test(char) ? char : escapeByte(unit);
      continue;
    }
    let point = unit;
    const next = key.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
      point = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    out += encodePoint(point);
  }
  return out;
}

/** The key a plain name encodes, or `undefined` for a hashed name or a name this encoding never produces. */
export function decodeKey(name: string): string | undefined {
  if (!PLAIN_NAME.test(name)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "%") {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(name.charCodeAt(i));
    }
  }
  const key = decodeWtf8(bytes);
  // Only the canonical spelling is ours: `%61` would also decode to "a", and two names for one
  // key would let a stale twin survive a delete.
  return key !== undefined && encodeKey(key) === name ? key : undefined;
}

/** True for a name of the form `head~sha256`, whose key is stored with its value. */
export function isHashedName(name: string): boolean {
  return HASHED_NAME.test(name);
}

/**
 * The storage name of `key`: its encoding when at most `MAX_PLAIN_NAME` characters, else a
 * readable head of it, `~` and the SHA-256 of the whole encoding (64 hex digits, 161 characters in all).
 */
export async function keyName(key: string): Promise<string> {
  const encoded = encodeKey(key);
  if (encoded.length <= MAX_PLAIN_NAME) return encoded;
  let head = encoded.slice(0, HEAD);
  const cut = head.lastIndexOf("%");
  if (cut > HEAD - 3) head = head.slice(0, cut);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(encoded));
  let hex = "";
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, "0");
  return `${head}~${hex}`;
}

function escapeByte(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

function encodePoint(point: number): string {
  if (point < 0x800) return escapeByte(0xc0 | (point >> 6)) + escapeByte(0x80 | (point & 63));
  if (point < 0x10000) {
    return (
      escapeByte(0xe0 | (point >> 12)) +
      escapeByte(0x80 | ((point >> 6) & 63)) +
      escapeByte(0x80 | (point & 63))
    );
  }
  return (
    escapeByte(0xf0 | (point >> 18)) +
    escapeByte(0x80 | ((point >> 12) & 63)) +
    escapeByte(0x80 | ((point >> 6) & 63)) +
    escapeByte(0x80 | (point & 63))
  );
}

/** Decodes UTF-8 that may carry surrogates as 3-byte sequences; `undefined` when malformed. */
function decodeWtf8(bytes: readonly number[]): string | undefined {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] as number;
    const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    if (length === 0 || i + length > bytes.length) return undefined;
    let point = length === 1 ? lead : lead & (0xff >> (length + 1));
    for (let j = 1; j < length; j++) {
      const byte = bytes[i + j] as number;
      if ((byte & 0xc0) !== 0x80) return undefined;
      point = (point << 6) | (byte & 63);
    }
    if (point > 0x10ffff) return undefined;
    out += String.fromCodePoint(point);
    i += length;
  }
  return out;
}
