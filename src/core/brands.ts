// Which built-in an object is, read from its internal slots rather than its prototype chain: a Map
// made in a node:vm context or an iframe is not `instanceof` this realm's Map, yet it is a Map, and
// keys and stored values must treat it as one. `Object.prototype.toString` names the candidate
// kind; calling one of that kind's own accessors proves it (they throw for anything without the
// slots), so a class that merely claims a kind's tag is not taken for it. The key renderer and the
// codec both ask here, for objects that are neither arrays, typed arrays nor plain records.

/**
 * A built-in kind keys and the codec read by its content or refuse by name. `File` counts as
 * `Blob`, `DOMException` as `Error`.
 */
export type Kind =
  | "Date"
  | "Map"
  | "Set"
  | "RegExp"
  | "Error"
  | "String"
  | "Number"
  | "Boolean"
  | "BigInt"
  | "Symbol"
  | "Promise"
  | "ArrayBuffer"
  | "SharedArrayBuffer"
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
  /** Throws for a value without the kind's internal slots. */
  readonly brand: (value: object) => unknown;
}

const objectToString = Object.prototype.toString;

/** The `Symbol.toStringTag` or internal class of `value`: "Map", "Date", "Object"… */
export function tagOf(value: object): string {
  return objectToString.call(value).slice(8, -1);
}

// The class (a global of this name, when the runtime has it) and the member whose `this` check is
// the brand check. Web classes are missing on some runtimes (SharedArrayBuffer too, in a page that
// is not cross-origin isolated), so the table is read when a value first needs it.
const SLOTS: readonly (readonly [string, string])[] = [
  ["Date", "getTime"],
  ["Map", "size"],
  ["Set", "size"],
  ["RegExp", "source"],
  ["String", "valueOf"],
  ["Number", "valueOf"],
  ["Boolean", "valueOf"],
  ["BigInt", "valueOf"],
  ["Symbol", "valueOf"],
  ["ArrayBuffer", "byteLength"],
  ["SharedArrayBuffer", "byteLength"],
  ["URLSearchParams", "toString"],
  ["Headers", "has"],
  ["FormData", "has"],
  ["AbortSignal", "aborted"],
  ["Blob", "size"],
  ["File", "size"],
  // An Error on every runtime, but Bun's `Error.isError` denies it: its own getter proves it.
  ["DOMException", "code"],
];

let checks: ReadonlyMap<string, KindCheck> | undefined;

function kindChecks(): ReadonlyMap<string, KindCheck> {
  const scope = globalThis as unknown as Record<string, KindCheck["type"] | undefined>;
  const isError = (Error as { isError?: (value: unknown) => boolean }).isError;
  const list: [string, KindCheck][] = [
    // No accessor reads [[ErrorData]] before `Error.isError`; without it the tag decides.
    [
      "Error",
      { kind: "Error", type: Error, brand: isError ? (value) => isError(value) || noBrand() : Boolean },
    ],
    // A Promise has no brand check free of side effects: the tag or `instanceof` decides.
    ["Promise", { kind: "Promise", type: Promise, brand: Boolean }],
  ];
  for (const [name, key] of SLOTS) {
    const type = scope[name];
    if (typeof type !== "function") continue;
    const kind = (name === "File" ? "Blob" : name === "DOMException" ? "Error" : name) as Kind;
    list.push([name, { kind, type, brand: slotCheck(type, key) }]);
  }
  checks = new Map(list);
  return checks;
}

/** Calls the accessor or method `name` of `type` (or what it inherits: File's `size` is Blob's). */
function slotCheck(type: { prototype: object }, name: string): (value: object) => unknown {
  let found: PropertyDescriptor | undefined;
  for (let proto: object | null = type.prototype; !found && proto; proto = Object.getPrototypeOf(proto)) {
    found = Object.getOwnPropertyDescriptor(proto, name);
  }
  const fn: unknown = found?.get ?? found?.value;
  // A runtime without the member cannot prove the kind: nothing passes.
  if (typeof fn !== "function") return noBrand;
  return (value) => fn.call(value, "a");
}

function noBrand(): never {
  throw new TypeError("no brand check");
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
 * instance, a plain record). `tag` is `tagOf(value)` when the caller has it.
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
