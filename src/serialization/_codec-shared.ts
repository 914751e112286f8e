import { CacheValueError, errorMessage } from "../core/errors";

/**
 * Reserved key of a tagged value: `{"$t": tag, "v": payload}`. The encoder escapes every user
 * object that owns this key (tag `object`), so on decode an object owning it is always a tag.
 */
export const MARK = "$t";

/** How `MARK` appears as a key in JSON text; text without it decodes with `JSON.parse` alone. */
export const MARK_NEEDLE = '"$t"';

/** Prefix of the tag of a `registerType` class: `class:<name>`. */
export const CLASS_PREFIX = "class:";

/** A class registered with `registerType`. */
export interface TypeEntry {
  readonly name: string;
  readonly ctor: abstract new (...args: never[]) => object;
  readonly encode: (value: never) => unknown;
  readonly decode: (data: unknown) => unknown;
}

/** Registered classes by constructor and by name (module-wide, like `registerType` itself). */
export const typesByCtor = new Map<unknown, TypeEntry>();
export const typesByName = new Map<string, TypeEntry>();

/** The registered entry for `value`'s class or nearest registered ancestor, if any. */
export function findType(value: object): TypeEntry | undefined {
  if (typesByCtor.size === 0) return undefined;
  let proto: unknown = Object.getPrototypeOf(value);
  while (proto !== null && proto !== Object.prototype) {
    const entry = typesByCtor.get((proto as { constructor?: unknown }).constructor);
    if (entry) return entry;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/** Typed array classes by tag; looked up on `globalThis` so a runtime without one just lacks it. */
export const TYPED_ARRAY_NAMES: ReadonlySet<string> = new Set([
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float16Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

/** Builds the error thrown for unreadable stored text; the core treats it as a miss. */
export function malformed(problem: string): CacheValueError {
  return new CacheValueError(
    errorMessage(
      "codec",
      `cannot decode stored value (${problem})`,
      "treat the entry as a miss and write it again",
    ),
  );
}
