import { cloneDecoded, defaultSerializer, isTreeEncoding, UNCLONEABLE } from "../serialization/codec";
import type { Clock } from "./clock";
import type { RecordHeader, RecordRejection } from "./envelope";
import { decodeRecord, encodeRecord, peekHeader, splitRecord } from "./envelope";
import { CacheValueError, errorMessage } from "./errors";
import type { ReadSlot, Route, StepCall } from "./route";
import { authorityOf } from "./tiers";

/** Marks a miss inside the core, where `undefined` is a value a user may have stored. */
export const MISS: unique symbol = Symbol("isocache.miss");
export type Miss = typeof MISS;

/** Marks a read the synchronous path cannot answer; the caller takes the async one. */
export const NOT_SYNC: unique symbol = Symbol("isocache.not-sync");

/**
 * True when a `readSync` result is a value, not `MISS` or `NOT_SYNC`. `typeof` first: on the hot
 * path, comparing a value of any type with a symbol compiles to a generic builtin call, comparing
 * two symbols to one instruction.
 */
export function isReadValue(result: unknown): boolean {
  return typeof result !== "symbol" || (result !== MISS && result !== NOT_SYNC);
}

const MARK = 64; // "@": a record with a header

/** Kept on an entry whose value cannot be copied exactly: each read decodes the text. */
const DECODE_EACH: unique symbol = Symbol("isocache.decode-each");

/**
 * Reads `key` without a promise when the route's backend reads synchronously and the record
 * needs no async work (no signature, no compression): the value, `MISS`, or `NOT_SYNC`.
 * The decoded value is kept on the entry: with `copy: false` later hits share it; by default
 * they get a copy of it (cheaper than decoding again), or decode afresh where no exact copy
 * can be made.
 */
export function readSync(route: Route, clock: Clock, key: string): unknown {
  const slots = route.slots;
  if (slots === undefined || !route.initialised || route.codec.signer !== undefined || route.queued(key))
    return NOT_SYNC;
  const slot = slots.readSlot(key);
  if (slot === undefined) return route.slotsComplete ? MISS : NOT_SYNC;
  const kept = slot.keeper === route.keeper ? slot.decoded : undefined;
  // The warm hit in reference mode stays this small so the JIT can inline it into its callers.
  // `typeof` first: see `isReadValue`.
  if (kept !== undefined && (typeof kept !== "symbol" || kept !== DECODE_EACH) && !route.copy) return kept;
  return readSlotValue(route, clock, key, slot, kept);
}

/** The rest of `readSync` for one slot: a copy of the kept value, or the slot's text decoded (and kept). */
function readSlotValue(route: Route, clock: Clock, key: string, slot: ReadSlot, kept: unknown): unknown {
  if (kept !== undefined && kept !== DECODE_EACH) {
    const copy = copyOf(kept);
    if (copy !== UNCLONEABLE) return copy;
  }
  const text = slot.value;
  let payload = text;
  let header: RecordHeader | undefined;
  if (text.charCodeAt(0) === MARK) {
    try {
      [header, payload] = splitRecord(text);
    } catch {
      return NOT_SYNC; // the async path reports it
    }
    if (header?.c !== undefined) return NOT_SYNC;
    if (header?.e !== undefined && header.e <= clock.now()) return MISS;
  }
  let value: unknown;
  try {
    value = route.codec.serializer.decode(payload);
  } catch (cause) {
    return unreadable(route, key, "it is not in this cache's format", cause);
  }
  // A record whose expiry lives in its header must be checked on every read: keep nothing.
  if (header?.e !== undefined) return value;
  if (!route.copy) {
    slot.decoded = value;
    slot.keeper = route.keeper;
    return value;
  }
  if (kept === undefined && route.codec.serializer === defaultSerializer && isTreeEncoding(payload)) {
    // Keep the decoded value private and hand out copies of it.
    const copy = copyOf(value);
    slot.decoded = copy === UNCLONEABLE ? DECODE_EACH : value;
    slot.keeper = route.keeper;
    if (copy !== UNCLONEABLE) return copy;
  }
  return value;
}

function copyOf(kept: unknown): unknown {
  try {
    return cloneDecoded(kept);
  } catch {
    return UNCLONEABLE; // deeper than the stack allows: decode the text instead
  }
}

/** Reads and decodes `key` through `route`; a missing, expired, unsigned or unreadable record is `MISS`. */
export function readValue(route: Route, clock: Clock, key: string): Promise<unknown> {
  return route
    .readShared(key)
    .then((text) => (text === undefined ? MISS : decodeValue(route, clock, key, text)));
}

/** Decodes a stored record; reports what cannot be read and returns `MISS` for it. */
export function decodeValue(route: Route, clock: Clock, key: string, text: string): unknown {
  if (text.charCodeAt(0) !== MARK && route.codec.signer === undefined) {
    try {
      return route.codec.serializer.decode(text);
    } catch (cause) {
      return unreadable(route, key, "it is not in this cache's format", cause);
    }
  }
  return decodeRecord(route.codec, key, text, clock.now()).then(
    (record) => (typeof record === "string" ? rejected(route, key, record) : record.value),
    (cause: unknown) => unreadable(route, key, "it is not in this cache's format", cause),
  );
}

/** A record `decodeRecord` turned down reads as `MISS`, reported unless it merely expired. */
function rejected(route: Route, key: string, reason: RecordRejection): Miss {
  switch (reason) {
    case "expired":
      return MISS;
    case "unsigned":
      return unreadable(route, key, "it carries no signature and `secret` is set", undefined);
    case "bad-signature":
      return unreadable(
        route,
        key,
        "its signature does not match (tampered, moved from another key, or signed with another secret)",
        undefined,
      );
    case "too-large":
      return unreadable(
        route,
        key,
        `it decompresses to more than ${route.codec.decompressLimit} bytes (the \`decompressLimit\` setup option)`,
        undefined,
      );
  }
}

function unreadable(route: Route, key: string, why: string, cause: unknown): Miss {
  const error = new CacheValueError(
    errorMessage(
      route.backend.name,
      `the value under "${key}" was ignored because ${why}`,
      "it reads as a miss; overwrite or delete it",
    ),
    cause === undefined ? undefined : { cause },
  );
  if (!route.suppress) throw error;
  route.report(error, "get", key);
  return MISS;
}

/** Encodes and stores `value`; the TTL lives in the record only where the backend cannot expire it. */
export function writeValue(
  route: Route,
  clock: Clock,
  key: string,
  value: unknown,
  ttl: number | undefined,
  tags: readonly string[] | undefined,
  exist: boolean | undefined,
): Promise<boolean> {
  let encoded: string | Promise<string>;
  try {
    encoded = encodeStored(route, clock, key, value, ttl, tags);
  } catch (error) {
    return Promise.reject(error);
  }
  if (exist !== undefined && route.envelopeExpiry) return writeIfLive(route, clock, key, encoded, ttl, exist);
  // Usually encoded without a promise and handed to the backend at once; a compressed or signed
  // record keeps its place among the key's commands while it is encoded.
  return route.callEncoded("set", key, encoded, false, (backend, text) =>
    backend.set(key, text, { ttl: route.nativeTtl(ttl), exist }),
  );
}

/** The record `writeValue` stores; its TTL lives in it only where the backend cannot expire it. */
export function encodeStored(
  route: Route,
  clock: Clock,
  key: string,
  value: unknown,
  ttl: number | undefined,
  tags: readonly string[] | undefined,
): string | Promise<string> {
  const expiresAt = ttl !== undefined && route.needsEnvelopeExpiry(ttl) ? clock.now() + ttl : undefined;
  return encodeRecord(route.codec, key, value, expiresAt, tags);
}

/**
 * `writeValue` with `exist` where the TTL lives in records: the backend may still hold a record
 * whose envelope TTL ended, so it cannot judge presence, and the record is read first. The read
 * and the write are one step among the key's commands (`Route.step`): two such writes of a key
 * cannot both see it absent, and a later set or delete is not undone by this write.
 */
function writeIfLive(
  route: Route,
  clock: Clock,
  key: string,
  encoded: string | Promise<string>,
  ttl: number | undefined,
  exist: boolean,
): Promise<boolean> {
  return route.step("set", key, async (call) => {
    const text = await encoded;
    const stored = await call("get", undefined, (backend) => authorityOf(backend).get(key));
    if (isLive(stored, clock) !== exist) return false;
    return call("set", false, (backend) => backend.set(key, text, { ttl: route.nativeTtl(ttl) }));
  });
}

/** True when `text` is a record whose envelope TTL (if any) has not ended. */
export function isLive(text: string | undefined, clock: Clock): boolean {
  if (text === undefined) return false;
  const expiresAt = peekHeader(text)?.e;
  return expiresAt === undefined || expiresAt > clock.now();
}

/** True when `key` holds a record that has not expired. */
export async function liveExists(route: Route, clock: Clock, key: string): Promise<boolean> {
  if (!route.envelopeExpiry) return route.call("exists", key, false, (backend) => backend.exists(key));
  return isLive(await route.call("get", key, undefined, (backend) => backend.get(key)), clock);
}

/**
 * Deletes `key`; `true` when it held a record that had not expired. Where TTLs live in records
 * (a backend without native TTL, or with a floor), the backend still holds expired ones and would
 * count them, so there the record is read first; the
 * read and the delete are one step among the key's commands (`Route.step`), so a set called
 * after this delete is not undone by it.
 */
export function deleteLive(route: Route, clock: Clock, key: string): Promise<boolean> {
  if (!route.envelopeExpiry) return route.call("delete", key, false, (backend) => backend.delete(key));
  return route.step("delete", key, async (call) => {
    const text = await call("get", undefined, (backend) => backend.get(key));
    const deleted = await call("delete", false, (backend) => backend.delete(key));
    return deleted && isLive(text, clock);
  });
}

/** Milliseconds left for `key`, `-1` without expiry, `-2` when missing. */
export async function expiryOf(route: Route, clock: Clock, key: string): Promise<number> {
  if (route.envelopeExpiry) {
    const text = await route.call("get", key, undefined, (backend) => backend.get(key));
    if (text === undefined) return -2;
    const left = headerExpiry(text, clock);
    if (left !== undefined) return left;
  }
  return route.call("getExpire", key, -2, (backend) => backend.getExpire(key));
}

/** Milliseconds left by the expiry in `text`'s header (`-2` once it has passed); `undefined` when the header has none. */
export function headerExpiry(text: string, clock: Clock): number | undefined {
  const expiresAt = peekHeader(text)?.e;
  if (expiresAt === undefined) return undefined;
  const left = expiresAt - clock.now();
  return left > 0 ? left : -2;
}

/**
 * Gives `key` a new TTL, rewriting the record when the TTL lives in it; the read and the rewrite
 * are one step among the key's commands (`Route.step`), so a set or delete called after this
 * `expire` is not undone by the rewrite.
 */
export function setExpiry(route: Route, clock: Clock, key: string, ttl: number): Promise<boolean> {
  if (route.needsEnvelopeExpiry(ttl) || route.envelopeExpiry)
    return route.step("expire", key, (call) => rewriteExpiry(route, clock, key, ttl, call));
  return route.call("expire", key, false, (backend) => backend.expire(key, ttl));
}

async function rewriteExpiry(
  route: Route,
  clock: Clock,
  key: string,
  ttl: number,
  call: StepCall,
): Promise<boolean> {
  const text = await call("get", undefined, (backend) => authorityOf(backend).get(key));
  if (text === undefined) {
    // A copy above of a key gone below would outlive it, as the tiers' own `expire` drops it.
    if (authorityOf(route.backend) !== route.backend)
      await call("delete", false, (backend) => backend.delete(key));
    return false;
  }
  const header = peekHeader(text);
  if (header !== undefined || route.needsEnvelopeExpiry(ttl)) {
    const value = await decodeValue(route, clock, key, text);
    if (value === MISS) return false;
    return writeIn(call, route, clock, key, value, ttl, header?.t);
  }
  return call("expire", false, (backend) => backend.expire(key, ttl));
}

/** `writeValue` (without `exist`) inside a `Route.step`, through its `call`. */
export async function writeIn(
  call: StepCall,
  route: Route,
  clock: Clock,
  key: string,
  value: unknown,
  ttl: number | undefined,
  tags?: readonly string[],
): Promise<boolean> {
  const text = await encodeStored(route, clock, key, value, ttl, tags);
  return call("set", false, (backend) => backend.set(key, text, { ttl: route.nativeTtl(ttl) }));
}
