// Which built-in an object is, read from its internal slots rather than its prototype chain: a Map
// made in a node:vm context or an iframe is not `instanceof` this realm's Map, yet it is a Map, and
// equal Maps must share a key wherever they were made. `Object.prototype.toString` names the
// candidate kind; calling one of that kind's own accessors proves it (they throw for anything
// without the slots), so a class that merely claims a kind's tag is not taken for it. Consulted
// only for objects that are neither arrays, typed arrays nor plain records.

/** A built-in kind a key reads by its content. `File` counts as `Blob`. */
export type Kind =
  | "Date"
  | "Map"
  | "Set"
  | "RegExp"
  | "Error"
  | "String"
  | "Number"
  | "Boolean"
  | "ArrayBuffer"
  | "URLSearchParams"
  | "Headers"
  | "FormData"
  | "AbortSignal"
  | "Blob";

interface KindCheck {
  readonly kind: Kind;
  /** This realm's class, for subclasses that rename their tag (DOMException is an Error). */
  readonly type: abstract new (
    ...args: never[]
  ) => unknown;
  /** Throws a TypeError for a value without the kind's internal slots. */
  readonly brand: (value: object) => unknown;
}

const objectToString = Object.prototype.toString;

/** The `Symbol.toStringTag` or internal class of `value`: "Map", "Date", "Object"… */
export function tagOf(value: object): string {
  return objectToString.call(value).slice(8, -1);
}

/** The descriptor of `name` on `type.prototype` or a prototype it inherits from (File's `size` is Blob's). */
function member(type: { prototype: object }, name: string): PropertyDescriptor | undefined {
  for (let proto: object | null = type.prototype; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const found = Object.getOwnPropertyDescriptor(proto, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Calls the accessor or method `name` of `type` on a value; its `this` check is the brand check. */
function brandOf(type: { prototype: object }, name: string, ...args: unknown[]): (value: object) => unknown {
  const found = member(type, name);
  const fn: unknown = found?.get ?? found?.value;
  // A runtime without the member cannot prove the kind: nothing passes.
  if (typeof fn !== "function") return () => noBrand();
  return (value) => fn.apply(value, args);
}

function noBrand(): never {
  throw new TypeError("no brand check");
}

// Looked up when a key first needs them: not every runtime has the web classes.
let checks: ReadonlyMap<string, KindCheck> | undefined;

function kindChecks(): ReadonlyMap<string, KindCheck> {
  const scope = globalThis as unknown as Record<string, (abstract new () => unknown) | undefined>;
  const web: [Kind, string, string][] = [
    ["URLSearchParams", "URLSearchParams", "toString"],
    ["Headers", "Headers", "has"],
    ["FormData", "FormData", "has"],
    ["AbortSignal", "AbortSignal", "aborted"],
    ["Blob", "Blob", "size"],
    ["Blob", "File", "size"],
  ];
  const list: [string, KindCheck][] = [
    ["Date", { kind: "Date", type: Date, brand: brandOf(Date, "getTime") }],
    ["Map", { kind: "Map", type: Map, brand: brandOf(Map, "size") }],
    ["Set", { kind: "Set", type: Set, brand: brandOf(Set, "size") }],
    ["RegExp", { kind: "RegExp", type: RegExp, brand: brandOf(RegExp, "source") }],
    // No accessor reads [[ErrorData]]; the tag "Error" itself comes from it.
    ["Error", { kind: "Error", type: Error, brand: () => true }],
    ["String", { kind: "String", type: String, brand: brandOf(String, "valueOf") }],
    ["Number", { kind: "Number", type: Number, brand: brandOf(Number, "valueOf") }],
    ["Boolean", { kind: "Boolean", type: Boolean, brand: brandOf(Boolean, "valueOf") }],
    ["ArrayBuffer", { kind: "ArrayBuffer", type: ArrayBuffer, brand: brandOf(ArrayBuffer, "byteLength") }],
  ];
  for (const [kind, name, key] of web) {
    const type = scope[name];
    if (typeof type !== "function") continue;
    list.push([name, { kind, type, brand: brandOf(type, key, "a") }]);
  }
  checks = new Map(list);
  return checks;
}

function branded(check: KindCheck, value: object): boolean {
  try {
    check.brand(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The built-in kind of `value` from any realm, or `undefined` for anything else (a class
 * instance, a Promise, a plain record). `tag` is `tagOf(value)` when the caller has it.
 * @example kindOf(vm.runInNewContext("new Map()")) // "Map"
 */
export function kindOf(value: object, tag: string = tagOf(value)): Kind | undefined {
  const all = checks ?? kindChecks();
  const tagged = all.get(tag);
  if (tagged !== undefined && branded(tagged, value)) return tagged.kind;
  // A class instance: only a subclass that renames its tag could still be a built-in.
  if (tag === "Object") return undefined;
  for (const check of all.values()) {
    if (value instanceof check.type && branded(check, value)) return check.kind;
  }
  return undefined;
}

/** `value` is a Map from any realm. */
export function isMap(value: object): value is Map<unknown, unknown> {
  return value instanceof Map || (tagOf(value) === "Map" && kindOf(value, "Map") === "Map");
}
