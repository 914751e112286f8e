// The `len` formatter: how many of what a value holds. Each kind counts what it is made of (a
// string's code units, a buffer's or Blob's bytes, a collection's entries, a record's keys), read
// realm-independently like the rest of a key. A value that holds nothing countable (a number, a
// function, a Promise) is refused: the digits of its text would be a length nobody asked for.

import { kindOf } from "../core/brands";
import { CacheArgumentError, errorMessage } from "../core/errors";
import { isRecord, typeName } from "./unkeyable";

/**
 * The length of `value` for the placeholder `where`: 0 for null and undefined (an omitted list
 * holds nothing); throws `CacheArgumentError` for a value without one.
 * @example lengthOf(new Map([[1, 2]]), "{m:len}") // 1
 */
export function lengthOf(value: unknown, where: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return value.length;
  if (typeof value !== "object") throw noLength(`a ${typeof value}`, where);
  if (Array.isArray(value)) return value.length;
  if (ArrayBuffer.isView(value)) return (value as { length?: number }).length ?? value.byteLength;
  if (isRecord(value)) return Object.keys(value).length;
  return builtinLength(value, where) ?? instanceLength(value, where);
}

/** The length of a built-in kind of any realm; `undefined` for anything else. */
function builtinLength(value: object, where: string): number | undefined {
  const kind = kindOf(value);
  switch (kind) {
    case undefined:
      return undefined;
    case "Map":
      return read(Map, "size", value);
    case "Set":
      return read(Set, "size", value);
    case "Blob":
      return read(Blob, "size", value);
    case "ArrayBuffer":
      return read(ArrayBuffer, "byteLength", value);
    case "SharedArrayBuffer":
      return read(SharedArrayBuffer, "byteLength", value);
    case "String":
      return String.prototype.valueOf.call(value).length;
    case "URLSearchParams":
      return countOf(URLSearchParams.prototype.keys.call(value as URLSearchParams));
    case "Headers":
      return countOf(Headers.prototype.keys.call(value as Headers));
    case "FormData":
      return countOf(FormData.prototype.keys.call(value as FormData));
    default:
      throw noLength(`a value of type ${typeName(value)}`, where);
  }
}

/** `value[name]` through this realm's accessor, which reads another realm's value as well. */
function read(type: { prototype: object }, name: string, value: object): number {
  return Number(Object.getOwnPropertyDescriptor(type.prototype, name)?.get?.call(value));
}

function countOf(items: Iterable<unknown>): number {
  let count = 0;
  for (const _ of items) count++;
  return count;
}

/** A class instance's numeric `size` or `length` (a collection of its own), else its own key count. */
function instanceLength(value: object, where: string): number {
  const { size, length } = value as { size?: unknown; length?: unknown };
  if (typeof size === "number") return size;
  if (typeof length === "number") return length;
  const keys = Object.keys(value).length;
  // A Promise, a WeakMap, a stream, a class keeping its state in #private fields.
  if (keys === 0) throw noLength(`a value of type ${typeName(value)}`, where);
  return keys;
}

function noLength(what: string, where: string): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      "key",
      `${where} got ${what}, which has no length`,
      "pass a string, array, typed array, ArrayBuffer, SharedArrayBuffer, Blob, Map, Set, FormData, URLSearchParams, Headers or object there, or leave :len out of the placeholder",
    ),
  );
}
