// The text a name-based backend (fs, unstorage) stores under a key name: one header line, then the
// core's opaque value unchanged. The header carries the backend's own expiry, so a TTL the core
// hands to the backend (native TTLs, lock TTLs) holds on storage that expires nothing by itself,
// and, for a hashed name, the full encoded key, so `scan` can list the key back.
//
//   i1 <expiresAt ms since the epoch | -> <encoded key | ->\n<value>

import { CacheConfigError, errorMessage } from "../../core/errors";

const MAGIC = "i1 ";
const NONE = "-";

/** One stored record. */
export interface StoredRecord {
  /** The core's value text. */
  readonly value: string;
  /** Milliseconds since the epoch; `Infinity` without expiry. */
  readonly expiresAt: number;
  /** The encoded key, present for hashed names only. */
  readonly key: string | undefined;
}

/** The header line of a record, newline included; parsing stops there, so it can be read alone. */
export function formatHeader(expiresAt: number, encodedKey: string | undefined): string {
  const expiry = expiresAt === Number.POSITIVE_INFINITY ? NONE : String(Math.floor(expiresAt));
  return `${MAGIC}${expiry} ${encodedKey ?? NONE}\n`;
}

/** The whole stored text of a record. */
export function formatRecord(value: string, expiresAt: number, encodedKey: string | undefined): string {
  return formatHeader(expiresAt, encodedKey) + value;
}

/** Parses stored text (or just its first bytes, for the header); `undefined` when it is not a record. */
export function parseRecord(text: string): StoredRecord | undefined {
  if (!text.startsWith(MAGIC)) return undefined;
  const end = text.indexOf("\n");
  if (end < 0) return undefined;
  const space = text.indexOf(" ", MAGIC.length);
  if (space < 0 || space > end) return undefined;
  const expiry = text.slice(MAGIC.length, space);
  const key = text.slice(space + 1, end);
  const expiresAt = expiry === NONE ? Number.POSITIVE_INFINITY : Number(expiry);
  if (!(expiry === NONE || /^\d+$/.test(expiry)) || key.length === 0) return undefined;
  return { value: text.slice(end + 1), expiresAt, key: key === NONE ? undefined : key };
}

/**
 * True when `head` (a stored text's first bytes, at least three, or the whole text) can be the
 * start of what `formatRecord` wrote: a record, or one cut short or corrupt after its magic. No
 * one else's text is likely to begin so; a backend sharing its storage takes it as its own.
 */
export function isRecordText(head: string): boolean {
  return head.startsWith(MAGIC) || MAGIC.startsWith(head);
}

/** Absolute expiry of a TTL in milliseconds (`Infinity` when absent), rejecting a non-finite one. */
export function expiresAtOf(ttl: number | undefined, now: number, scope: string): number {
  if (ttl === undefined) return Number.POSITIVE_INFINITY;
  if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
    const problem = `ttl ${String(ttl)} is not a finite number of milliseconds`;
    throw new CacheConfigError(errorMessage(scope, problem, "pass milliseconds, or no ttl for no expiry"));
  }
  return now + ttl;
}

const INTEGER = /^-?\d+$/;

/** The sum of a stored decimal integer and `by`, or `undefined` when the text is not one or the sum is unsafe. */
export function addToInteger(text: string, by: number): number | undefined {
  const current = INTEGER.test(text) ? Number(text) : Number.NaN;
  // `|| 0` turns -0 (from a stored "-0") into 0.
  const next = current + by || 0;
  return Number.isSafeInteger(current) && Number.isSafeInteger(next) ? next : undefined;
}
