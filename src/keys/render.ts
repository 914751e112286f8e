/**
 * Stable text for values that go into cache keys. Two goals pull against each other here:
 * equal arguments must give equal text (object keys sorted, Map and Set entries in a canonical
 * order) and different arguments different text (every type has its own spelling: `1` vs `"1"`,
 * `null` vs `undefined`, `1n`, `Date(…)`, `Uint8Array[…]`). Primitives take a branch without
 * allocating beyond the result, because a single id argument is the common case. A value whose
 * distinguishing state a key cannot read (a Blob's bytes, a Promise, a #private field, a function,
 * an unregistered symbol) is refused with `CacheArgumentError`: one text for all of them would let
 * one call's cached result answer another's. An AbortSignal, which cannot change a result, renders
 * as `AbortSignal`. Built-ins are recognised by their internal slots (`kindOf`), not `instanceof`,
 * so a Map made in a node:vm context or an iframe keys as one made here.
 */
import { type Kind, kindOf, tagOf } from "../core/brands";
import { className, isRecord, keyableSymbol, refuseOpaque, stateless, unkeyableFunction } from "./unkeyable";

// biome-ignore lint/suspicious/noExplicitAny: a class of any constructor signature may be registered.
export type AnyClass = abstract new (...args: any[]) => unknown;

interface TypeFormatterEntry {
  readonly type: AnyClass;
  readonly format: (value: never) => string;
}

// What JSON.stringify would escape in a string: quotes, backslashes, control characters, surrogates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify` for a string, about twice as fast for the usual id that needs no escaping. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

// Most recently registered first, so a later registration for a subclass (or the same class) wins.
const typeFormatters: TypeFormatterEntry[] = [];

/** Adds a renderer for instances of `type`; used by `registerTypeFormatter`. */
export function addTypeFormatter<T extends AnyClass>(
  type: T,
  format: (value: InstanceType<T>) => string,
): void {
  typeFormatters.unshift({ type, format: format as (value: never) => string });
}

/** The text a registered type formatter gives for `value`, or `undefined` when none applies. */
export function typeFormatted(value: object): string | undefined {
  for (const entry of typeFormatters) {
    if (value instanceof entry.type) return String(entry.format(value as never));
  }
  return undefined;
}

/**
 * Compact text for `value` that is equal for equal values whatever their property order and
 * different for different values; cycles render as `^n` (a reference n levels up).
 * @example stableRender({ b: 1, a: [1n, "1", null] }) // '{"a":[1n,"1",null],"b":1}'
 */
export function stableRender(value: unknown): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      // `String(-0)` is "0": `0 === -0`, so they are the same argument.
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "undefined";
    default:
      return renderValue(value, []);
  }
}

/**
 * The stable rendering of an argument list, comma-separated; an omitted argument and an explicit
 * `undefined` differ because the list lengths differ.
 * @example renderArgs([42, "a"]) // '42,"a"'
 */
export function renderArgs(args: readonly unknown[]): string {
  const n = args.length;
  if (n === 0) return "";
  let out = stableRender(args[0]);
  for (let i = 1; i < n; i++) out += `,${stableRender(args[i])}`;
  return out;
}

/**
 * The text a template interpolates for `value`: strings as they are, numbers, booleans and
 * bigints through `String`, `undefined` as "", `null` as "null", a registered type formatter's
 * text, a valid Date as its ISO string, anything else as `stableRender`.
 */
export function renderText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "symbol":
      return String(keyableSymbol(value));
    case "undefined":
      return "";
  }
  if (value === null) return "null";
  if (typeof value === "object") {
    const custom = typeFormatters.length === 0 ? undefined : typeFormatted(value);
    if (custom !== undefined) return custom;
    const iso =
      isRecord(value) || Array.isArray(value) || kindOf(value) !== "Date" ? undefined : isoDate(value);
    if (iso !== undefined) return iso;
  }
  return renderValue(value, []);
}

function renderValue(value: unknown, stack: object[]): string {
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "undefined";
    case "bigint":
      return `${value}n`;
    case "symbol": {
      const registered = Symbol.keyFor(value);
      if (registered !== undefined) return `Symbol.for(${JSON.stringify(registered)})`;
      return `Symbol(${JSON.stringify(keyableSymbol(value).description)})`;
    }
    case "function":
      throw unkeyableFunction();
  }
  if (value === null) return "null";
  return renderObject(value as object, stack);
}

function renderObject(value: object, stack: object[]): string {
  const seen = stack.lastIndexOf(value);
  if (seen >= 0) return `^${stack.length - seen}`;
  if (typeFormatters.length > 0) {
    const custom = typeFormatted(value);
    if (custom !== undefined) return `${className(value)}(${JSON.stringify(custom)})`;
  }
  stack.push(value);
  try {
    return renderComposite(value, stack);
  } finally {
    stack.pop();
  }
}

function renderComposite(value: object, stack: object[]): string {
  if (Array.isArray(value)) return renderArray(value, stack);
  // A plain record is none of the built-in or opaque kinds: it skips their checks.
  if (isRecord(value)) return renderPlain(value, stack);
  if (ArrayBuffer.isView(value)) return renderView(value);
  const tag = tagOf(value);
  const kind = kindOf(value, tag);
  const text = kind === undefined ? undefined : renderKind(kind, value, stack);
  if (text !== undefined) return text;
  refuseOpaque(value, tag);
  return renderPlain(value, stack);
}

/**
 * Text for a built-in of any realm, read through this realm's methods (which work on another
 * realm's values); `undefined` for a Blob, which `refuseOpaque` refuses.
 */
function renderKind(kind: Kind, value: object, stack: object[]): string | undefined {
  switch (kind) {
    case "Date":
      return `Date(${isoDate(value) ?? "NaN"})`;
    case "RegExp":
      return RegExp.prototype.toString.call(value);
    case "Map":
      return renderMap(value as Map<unknown, unknown>, stack);
    case "Set":
      return renderSet(value as Set<unknown>, stack);
    case "Error":
      return renderError(value as Error, stack);
    case "String":
    case "Number":
    case "Boolean":
      return `${className(value)}(${renderValue(BOXED[kind].call(value), stack)})`;
    // The same bytes shared between threads are another argument than a private copy of them.
    case "ArrayBuffer":
    case "SharedArrayBuffer":
      return `${kind}[${new Uint8Array(value as ArrayBuffer).join(",")}]`;
    // These keep their entries in internal slots, so as records every instance would read `{}`.
    case "URLSearchParams":
      return `${className(value)}(${quote(URLSearchParams.prototype.toString.call(value))})`;
    case "Headers":
      return `${className(value)}${renderArray([...Headers.prototype.entries.call(value as Headers)], stack)}`;
    // In order, as a handler reading getAll() sees them; a File entry is refused as a Blob is.
    case "FormData":
      return `${className(value)}${renderArray([...FormData.prototype.entries.call(value as FormData)], stack)}`;
    // A signal says when to give up, never what a call returns: calls told apart only by their
    // signals (`load(id, { signal })`) are the same call and share its entry.
    case "AbortSignal":
      return "AbortSignal";
    default:
      return undefined;
  }
}

/**
 * An error by name and message, then the `code` a caller branches on (a Node system error's
 * "ENOENT", a DOMException's number) and its own `cause`: `Error("m",code:"E",cause:…)`. An error
 * with neither keeps the text it always had, `Error("m")`.
 */
function renderError(value: Error, stack: object[]): string {
  let out = `${value.name}(${JSON.stringify(value.message)}`;
  const code: unknown = (value as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out += `,code:${renderValue(code, stack)}`;
  if (Object.hasOwn(value, "cause")) out += `,cause:${renderValue(value.cause, stack)}`;
  return `${out})`;
}

const BOXED: Readonly<Record<"String" | "Number" | "Boolean", (this: object) => unknown>> = {
  String: String.prototype.valueOf as (this: object) => unknown,
  Number: Number.prototype.valueOf as (this: object) => unknown,
  Boolean: Boolean.prototype.valueOf as (this: object) => unknown,
};

/** The ISO text of a valid Date of any realm; `undefined` for an invalid one. */
function isoDate(value: object): string | undefined {
  const time = Date.prototype.getTime.call(value);
  return Number.isNaN(time) ? undefined : Date.prototype.toISOString.call(value);
}

/** A record or an unrecognised object: through its toJSON, else by its own enumerable properties. */
function renderPlain(value: object, stack: object[]): string {
  // Objects whose state is not in own properties (URL, Temporal, decimal types) say so through toJSON.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function")
    return `${className(value)}(${renderValue(toJSON.call(value, ""), stack)})`;
  return renderRecord(value, stack);
}

function renderArray(value: readonly unknown[], stack: object[]): string {
  let out = "[";
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ",";
    // A hole differs from an explicit undefined.
    out += i in value ? renderValue(value[i], stack) : "~";
  }
  return `${out}]`;
}

function renderView(value: ArrayBufferView): string {
  if (tagOf(value) === "DataView") {
    return `DataView[${new Uint8Array(value.buffer, value.byteOffset, value.byteLength).join(",")}]`;
  }
  // The tag names the element type (a Node Buffer reads as Uint8Array, which it is).
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return `${tag}[${Array.prototype.join.call(value, ",")}]`;
}

function renderMap(value: Map<unknown, unknown>, stack: object[]): string {
  const entries: string[] = [];
  Map.prototype.forEach.call(value, (v: unknown, k: unknown) => {
    entries.push(`${renderValue(k, stack)}=>${renderValue(v, stack)}`);
  });
  return `Map{${entries.sort().join(",")}}`;
}

function renderSet(value: Set<unknown>, stack: object[]): string {
  const items: string[] = [];
  Set.prototype.forEach.call(value, (item: unknown) => {
    items.push(renderValue(item, stack));
  });
  return `Set{${items.sort().join(",")}}`;
}

function renderRecord(value: object, stack: object[]): string {
  const keys = Object.keys(value).sort();
  const symbols = symbolEntries(value, stack);
  if (keys.length === 0 && symbols === "" && !isRecord(value)) throw stateless(value);
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += ",";
    out += `${quote(key)}:${renderValue((value as Record<string, unknown>)[key], stack)}`;
  }
  if (symbols !== "") out += keys.length > 0 ? `,${symbols}` : symbols;
  out += "}";
  const name = className(value);
  return name === "Object" ? out : `${name}${out}`;
}

/**
 * Own enumerable symbol-keyed properties, sorted, as `Symbol.for("gt"):5`: state such as a query
 * builder's operators (`{ [Op.gt]: 5 }`). Unquoted, so none reads as a string key.
 */
function symbolEntries(value: object, stack: object[]): string {
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length === 0) return "";
  const entries: string[] = [];
  for (const symbol of symbols) {
    if (!Object.prototype.propertyIsEnumerable.call(value, symbol)) continue;
    const item = (value as Record<symbol, unknown>)[symbol];
    entries.push(`${renderValue(symbol, stack)}:${renderValue(item, stack)}`);
  }
  return entries.sort().join(",");
}
