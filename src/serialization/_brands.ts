// Which built-in an object is, by its internal slots rather than `instanceof`: a value made in
// another realm (a node:vm context, an iframe, a jsdom or test environment) has that realm's
// Date and Map classes, so `instanceof` against ours is false although the value is one.

/** The built-ins the codec stores by their internal data, or refuses by name. */
export type Brand =
  | "Date"
  | "RegExp"
  | "Map"
  | "Set"
  | "ArrayBuffer"
  | "Error"
  | "Number"
  | "String"
  | "Boolean"
  | "BigInt"
  | "Symbol"
  | "Promise";

const getter = (proto: object, key: string) =>
  Object.getOwnPropertyDescriptor(proto, key)?.get as (this: unknown) => unknown;

const errorCheck = (Error as { isError?: (value: unknown) => boolean }).isError;

/**
 * For each built-in, a call that succeeds on any realm's instance and throws `TypeError` on
 * every other object (an ECMAScript brand check). Errors have one only where `Error.isError`
 * exists and Promises none without a side effect: for those the toString tag (`[object Error]`
 * on an error from any realm) or `instanceof` decides.
 */
const CHECKS: Readonly<Record<Brand, (this: unknown) => unknown>> = {
  Date: Date.prototype.getTime,
  RegExp: getter(RegExp.prototype, "source"),
  Map: getter(Map.prototype, "size"),
  Set: getter(Set.prototype, "size"),
  ArrayBuffer: getter(ArrayBuffer.prototype, "byteLength"),
  Error(this: unknown) {
    if (errorCheck !== undefined && !errorCheck(this)) throw new TypeError("not an error");
  },
  Number: Number.prototype.valueOf,
  String: String.prototype.valueOf,
  Boolean: Boolean.prototype.valueOf,
  BigInt: BigInt.prototype.valueOf,
  Symbol: Symbol.prototype.valueOf,
  Promise() {},
};

/** The brands by the name in their toString tag, `[object Date]` → `Date`. */
const BY_TAG: ReadonlyMap<string, Brand> = new Map(
  (Object.keys(CHECKS) as Brand[]).map((brand) => [`[object ${brand}]`, brand]),
);

/**
 * The built-in `value` is an instance of, from this realm or another; `undefined` for anything
 * else, an object that merely names a built-in in its `Symbol.toStringTag` included. `tag` is
 * `Object.prototype.toString.call(value)`, which the caller needs too.
 */
export function brandOf(value: object, tag: string): Brand | undefined {
  const brand = BY_TAG.get(tag) ?? sameRealmBrand(value);
  if (brand === undefined) return undefined;
  try {
    CHECKS[brand].call(value);
    return brand;
  } catch {
    return undefined;
  }
}

/** A subclass of ours that renames its toStringTag: `instanceof` still sees it. */
function sameRealmBrand(value: object): Brand | undefined {
  if (value instanceof Date) return "Date";
  if (value instanceof Map) return "Map";
  if (value instanceof Set) return "Set";
  if (value instanceof Error) return "Error";
  if (value instanceof RegExp) return "RegExp";
  if (value instanceof ArrayBuffer) return "ArrayBuffer";
  if (value instanceof Promise) return "Promise";
  return undefined;
}
