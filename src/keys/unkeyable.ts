// What a key cannot tell apart: values whose distinguishing state is unreadable (a Blob's bytes,
// a Promise, #private fields, a function's code, an unregistered symbol's identity). Rendered,
// every one of a kind would get one text and share one cache entry, so they are refused instead.
import { CacheArgumentError, errorMessage } from "../core/errors";
import type { AnyClass } from "./render";

/**
 * A plain record: its prototype is a realm's root (`Object.prototype` here or in another realm,
 * such as a vm context or an iframe) or none. Its state is its own properties, so `{}` is a value.
 */
export function isRecord(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The class name, else the `Symbol.toStringTag` ("Generator", "Array Iterator"): what a message calls it. */
export function typeName(value: object): string {
  const name = className(value);
  return name === "Object" ? Object.prototype.toString.call(value).slice(8, -1) : name;
}

// Kinds whose state a key cannot read synchronously, or at all, whatever own fields a subclass adds.
const OPAQUE_NAMES = [
  ...["Blob", "File", "Promise", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry"],
  ...["ReadableStream", "WritableStream", "TransformStream"],
];
const OPAQUE_TAGS: ReadonlySet<string> = new Set(OPAQUE_NAMES);
// Looked up when a key first needs them: not every runtime has every one.
let opaqueKinds: readonly AnyClass[] | undefined;

function opaqueTypes(): readonly AnyClass[] {
  const scope = globalThis as unknown as Record<string, unknown>;
  const kinds = OPAQUE_NAMES.map((name) => scope[name]).filter((kind) => typeof kind === "function");
  opaqueKinds = kinds as AnyClass[];
  return opaqueKinds;
}

function isOpaqueInstance(value: object): boolean {
  for (const kind of opaqueKinds ?? opaqueTypes()) if (value instanceof kind) return true;
  return false;
}

/**
 * Throws `CacheArgumentError` for a Blob, Promise, WeakMap, stream… of this realm (`instanceof`)
 * or another (its tag, `tagOf(value)`): see `OPAQUE_NAMES`.
 */
export function refuseOpaque(value: object, tag: string): void {
  if (!OPAQUE_TAGS.has(tag) && !isOpaqueInstance(value)) return;
  const name = typeName(value);
  throw unkeyable(
    `a value of type ${name}`,
    "its content cannot be read synchronously, or at all, so every one would get the same key",
    `pass key: "…" naming what tells calls apart (a file's name, size, or a hash you computed), or registerTypeFormatter(${name}, (value) => text)`,
  );
}

/**
 * `value` when it is a registered or well-known symbol (the same in every process); throws
 * `CacheArgumentError` for any other, which only its identity tells from another of its description.
 */
export function keyableSymbol(value: symbol): symbol {
  if (Symbol.keyFor(value) !== undefined) return value;
  const description = value.description;
  const wellKnown =
    description?.startsWith("Symbol.") === true &&
    (Symbol as unknown as Record<string, unknown>)[description.slice(7)] === value;
  if (wellKnown) return value;
  throw unkeyable(
    "a symbol not made by Symbol.for",
    "two such symbols of one description are different values, and each process makes its own",
    'use Symbol.for("name"), which keys by its name, or pass key: "…" (such as "{0.description}")',
  );
}

/** The `CacheArgumentError` for a class instance with no own enumerable property (see `isRecord`). */
export function stateless(value: object): CacheArgumentError {
  const name = typeName(value);
  return unkeyable(
    `a value of type ${name}`,
    "it has no own enumerable property, so its state (if any) is in #private fields or internal slots the key cannot read",
    `pass key: "…" naming what tells calls apart, or registerTypeFormatter(${name}, (value) => text)`,
  );
}

/** The `CacheArgumentError` for a function: neither its name nor its source tells what it closes over. */
export function unkeyableFunction(): CacheArgumentError {
  return unkeyable(
    "a function",
    "functions of one name (or arrows, which have none) differ in code and in what they close over",
    'pass key: "…" without it (or with "{0.name}" to key on its name)',
  );
}

/** The `CacheArgumentError` for a value no key can tell from others of its kind. */
function unkeyable(what: string, why: string, remedy: string): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage("key", `${what} cannot go into a cache key: ${why}`, `${remedy}, or a key function`),
  );
}

/** Constructor name of a class instance; "Object" for plain and null-prototype objects. */
export function className(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return "Object";
  const ctor = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === "function" && ctor.name !== "" ? ctor.name : "Object";
}
