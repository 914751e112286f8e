import { CacheConfigError, CacheError, CacheValueError, errorMessage } from "../core/errors";
import { decodeTree } from "./_codec-decode";
import { encodeTree } from "./_codec-encode";
import { MARK, MARK_NEEDLE, malformed, type TypeEntry, typesByCtor, typesByName } from "./_codec-shared";

/** Turns values into strings for storage and back; `setup({ serializer })` accepts any implementation. */
export interface Serializer {
  /** Encodes a value as text; throws `CacheValueError` for a value it cannot represent. */
  encode(value: unknown): string;
  /** Decodes text made by `encode`; throws `CacheValueError` on malformed text (read as a miss). */
  decode(text: string): unknown;
}

/**
 * Encodes a value as JSON text that keeps its type, with no `eval`.
 *
 * Plain JSON data is written exactly as `JSON.stringify` writes it, so a safe integer is its
 * decimal text (`5` → `"5"`, which Redis `INCRBY` understands). Anything else becomes a tagged
 * object `{"$t": tag, "v": payload}`: `undefined` (top level, in arrays and as an object value,
 * the key kept), `NaN`, `±Infinity`, `-0`, `BigInt`, `Date` (invalid too), `RegExp`, `Map`, `Set`,
 * typed arrays, `ArrayBuffer`, `DataView`, `Error` (name, message, stack, cause, own enumerable
 * properties such as `code`), boxed primitives, null-prototype objects, sparse arrays, classes
 * given to `registerType`, and repeated or cyclic references (identity is kept on decode).
 * A user object that owns a `"$t"` key is escaped, so it round-trips too. Built-ins are known
 * by their internal data, not `instanceof`, so a value made in another realm (a `node:vm`
 * context, an iframe) is stored as the same type, and decodes as this realm's.
 *
 * Functions, symbols and Promises throw `CacheValueError`: a cache stores data, and dropping
 * them silently would hand back a different value than the one stored. An object with a
 * `toJSON()` method (a plain object, or an instance of an unregistered class) is stored as its
 * result, like `JSON.stringify` (which passes it the property name, the array index as text, or
 * "" at the top; "" also inside a Map, Set or registered payload); the built-ins above and registered classes keep their own
 * encoding. Another class instance is stored as its own enumerable properties (like
 * `structuredClone`); its prototype is not kept. Symbol keys
 * are skipped. Typed arrays are stored in the platform byte order (little-endian everywhere
 * isocache runs) and decoded onto their own buffer, so views sharing one buffer are not shared.
 */
export function encode(value: unknown): string {
  try {
    // A string's text may pass the longest string the runtime has (escapes take six characters).
    if (typeof value === "string") return JSON.stringify(value);
    return JSON.stringify(isPlainJson(value) ? value : encodeTree(value));
  } catch (error) {
    if (CacheError.is(error)) throw error;
    // RangeError: "Invalid string length" or "Maximum call stack size exceeded".
    throw new CacheValueError(
      error instanceof RangeError
        ? errorMessage(
            "codec",
            "cannot serialize value: it is too large or too deeply nested",
            "cache a smaller or flatter value, or split it over several keys",
          )
        : errorMessage("codec", "cannot serialize value", "cache plain data, or registerType() its classes"),
      { cause: error },
    );
  }
}

/**
 * Decodes text made by `encode`, or plain JSON written by any other tool (`"5"`, `{"a":1}`).
 * Never assigns through `__proto__`: payload keys such as `__proto__`, `constructor` and
 * `prototype` become own data properties. Throws `CacheValueError` on malformed text, an unknown
 * tag or an unregistered class name.
 */
export function decode(text: string): unknown {
  if (typeof text !== "string") throw malformed(`expected a string, got ${typeof text}`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    throw new CacheValueError(
      errorMessage("codec", "stored text is not valid JSON", "treat the entry as a miss and write it again"),
      { cause: error },
    );
  }
  // Text with no `"$t"` key holds no tag: JSON.parse already built the final value.
  if (typeof root !== "object" || root === null || !text.includes(MARK_NEEDLE)) return root;
  try {
    return decodeTree(root);
  } catch (error) {
    if (CacheError.is(error)) throw error;
    throw new CacheValueError(
      errorMessage("codec", "cannot decode stored value", "treat the entry as a miss and write it again"),
      { cause: error },
    );
  }
}

/** What `cloneDecoded` returns for a value it cannot copy exactly (the caller decodes instead). */
export const UNCLONEABLE: unique symbol = Symbol("isocache.uncloneable");

/** `%TypedArray%.prototype`: the prototype of every built-in typed array class's prototype. */
const TYPED_ARRAY_PROTOTYPE: unknown = Object.getPrototypeOf(Uint8Array.prototype);

const REF_NEEDLE = `${MARK_NEEDLE}:"ref"`;

/**
 * True when the value decoded from `text` (made by `encode`) holds no shared or cyclic
 * reference, so a tree copy of it is exact.
 */
export function isTreeEncoding(text: string): boolean {
  return !text.includes(REF_NEEDLE);
}

/**
 * A deep copy of a value `decode` built from text without shared references: plain objects and
 * arrays, null-prototype objects, Date, RegExp, Map, Set, typed arrays, ArrayBuffer, DataView
 * and primitives. Copying is several times cheaper than decoding the text again (a 40 KiB byte
 * array: a slice instead of a base64 decode). Anything else (errors, boxed primitives,
 * registered classes) gives `UNCLONEABLE`; a tree deeper than the stack throws `RangeError`.
 */
export function cloneDecoded(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return cloneArray(value as unknown[]);
  if (proto === Object.prototype || proto === null)
    return cloneRecord(value as Record<string, unknown>, proto);
  // By exact prototype: a registered subclass (`class Stamp extends Date`) copied as its
  // built-in would lose its class, so it is decoded through its entry instead.
  if (ArrayBuffer.isView(value)) {
    if (proto === DataView.prototype) {
      const view = value as DataView;
      return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
    }
    if (Object.getPrototypeOf(proto) !== TYPED_ARRAY_PROTOTYPE) return UNCLONEABLE;
    return (value as unknown as { slice(): unknown }).slice();
  }
  if (proto === Date.prototype) return new Date((value as Date).getTime());
  if (proto === Map.prototype) {
    const out = new Map();
    for (const [key, item] of value as Map<unknown, unknown>) {
      const k = cloneDecoded(key);
      const v = cloneDecoded(item);
      if (k === UNCLONEABLE || v === UNCLONEABLE) return UNCLONEABLE;
      out.set(k, v);
    }
    return out;
  }
  if (proto === Set.prototype) {
    const out = new Set();
    for (const item of value as Set<unknown>) {
      const v = cloneDecoded(item);
      if (v === UNCLONEABLE) return UNCLONEABLE;
      out.add(v);
    }
    return out;
  }
  if (proto === RegExp.prototype) return new RegExp((value as RegExp).source, (value as RegExp).flags);
  if (proto === ArrayBuffer.prototype) return (value as ArrayBuffer).slice(0);
  return UNCLONEABLE;
}

function cloneArray(array: unknown[]): unknown {
  const length = array.length;
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    if (!(i in array)) return cloneSparse(array, out, i);
    const item = cloneDecoded(array[i]);
    if (item === UNCLONEABLE) return UNCLONEABLE;
    out[i] = item;
  }
  return out;
}

/** The rest of `cloneArray` from its first hole: only present slots, as a sparse array may be 2^32 - 1 long. */
function cloneSparse(array: unknown[], out: unknown[], hole: number): unknown {
  const length = array.length;
  // Object.keys lists the present indices, ascending, and no hole; other keys fail the range test.
  for (const key of Object.keys(array)) {
    const index = Number(key);
    if (!(index > hole && index < length)) continue;
    const item = cloneDecoded(array[index]);
    if (item === UNCLONEABLE) return UNCLONEABLE;
    out[index] = item;
  }
  return out;
}

function cloneRecord(record: Record<string, unknown>, proto: unknown): unknown {
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  // Decoded keys are all own data properties; `__proto__` is defined, never assigned.
  for (const key of Object.keys(record)) {
    const item = cloneDecoded(record[key]);
    if (item === UNCLONEABLE) return UNCLONEABLE;
    if (key === "__proto__") {
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    } else out[key] = item;
  }
  return out;
}

/** The built-in typed, eval-free serializer: `{ encode, decode }` from this module. */
export const defaultSerializer: Serializer = { encode, decode };

/**
 * Teaches the codec a class: `encode` turns an instance into data (which may itself hold any
 * supported value, other registered classes included) and `decode` rebuilds it. `name` (default
 * `Class.name`) is what gets stored, so keep it stable across deploys and bundler renames.
 * Registering the same class again replaces its entry; another class under a taken name throws
 * `CacheConfigError`. Subclasses without their own entry use the nearest registered ancestor.
 * An instance's payload may not refer back to the instance itself.
 *
 * @example
 * registerType(Money, (m) => [m.amount, m.currency], (d) => new Money(...(d as [bigint, string])));
 */
export function registerType<T extends object>(
  Class: abstract new (...args: never[]) => T,
  encode: (value: T) => unknown,
  decode: (data: unknown) => T,
  name: string = Class?.name,
): void {
  if (typeof Class !== "function" || (Class as unknown) === Object || (Class as unknown) === Array) {
    throw new CacheConfigError(
      errorMessage(
        "codec",
        "registerType needs a class other than Object or Array",
        "pass your class constructor",
      ),
    );
  }
  if (typeof encode !== "function" || typeof decode !== "function") {
    throw new CacheConfigError(
      errorMessage("codec", `registerType(${name}) needs encode and decode functions`, "pass both functions"),
    );
  }
  if (typeof name !== "string" || name === "") {
    throw new CacheConfigError(
      errorMessage(
        "codec",
        "registerType got a class without a name",
        "pass a stable name as fourth argument",
      ),
    );
  }
  const taken = typesByName.get(name);
  if (taken && taken.ctor !== Class) {
    throw new CacheConfigError(
      errorMessage(
        "codec",
        `another class is already registered as ${JSON.stringify(name)}`,
        "pass a distinct name as fourth argument of registerType",
      ),
    );
  }
  const previous = typesByCtor.get(Class);
  if (previous) typesByName.delete(previous.name);
  const entry: TypeEntry = { name, ctor: Class, encode: encode as TypeEntry["encode"], decode };
  typesByCtor.set(Class, entry);
  typesByName.set(name, entry);
}

/**
 * One walk deciding whether `JSON.stringify(value)` already is the exact encoding. The Set of
 * visited objects is what catches shared and cyclic references (reusing one Set across calls
 * measured no faster on V8, so each call gets its own).
 */
function isPlainJson(value: unknown): boolean {
  return typeof value === "object" && value !== null ? plainNode(value, new Set()) : plainScalar(value);
}

function plainScalar(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && (value !== 0 || 1 / value > 0);
    default:
      return value === null;
  }
}

function plainNode(value: unknown, seen: Set<object>): boolean {
  if (typeof value !== "object" || value === null) return plainScalar(value);
  // A second visit means a shared or cyclic reference, which plain JSON would duplicate.
  if (seen.has(value)) return false;
  seen.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const array = value as unknown[];
    // A hole reads as undefined, which is not plain, so holes leave the fast path too.
    for (let i = 0; i < array.length; i++) if (!plainNode(array[i], seen)) return false;
    return true;
  }
  if (proto !== Object.prototype) return false;
  const record = value as Record<string, unknown>;
  // for-in skips the key array Object.keys would allocate; an inherited enumerable key (only on
  // a polluted Object.prototype) is merely checked too, which can only send us to the slow path.
  for (const key in record) {
    if (key === MARK || !plainNode(record[key], seen)) return false;
  }
  return true;
}
