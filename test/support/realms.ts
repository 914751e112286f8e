// Values made in another realm for tests of code that must not rely on `instanceof`: a node:vm
// context has its own Date, Map, Error... classes, while `local` evaluates the same source here.
import vm from "node:vm";

/** `source` (an expression) evaluated in a fresh node:vm context. */
export const foreign = (source: string): unknown => vm.runInNewContext(`(${source})`);

/** `source` evaluated in this realm, to compare with `foreign(source)`. */
export const local = (source: string): unknown => vm.runInThisContext(`(${source})`);

/** Built-ins and plain containers of them that read the same wherever they were made. */
export const BUILT_IN_SOURCES: readonly string[] = [
  "new Date(5)",
  "new Date(NaN)",
  "new Map([[new Date(1), new Set([1, 'a'])], ['k', { n: 1 }]])",
  "new Set([1, 2, [3]])",
  "/a+b/giu",
  "new Uint8Array([1, 2, 255])",
  "new Float64Array([1.5, -0])",
  "new Uint8Array([1, 2, 3, 4]).buffer",
  "new DataView(new Uint8Array([9, 8]).buffer)",
  "new Number(3)",
  "new String('boxed')",
  "new Boolean(false)",
  "({ a: 1, when: new Date(2), list: [new Map([[1, 2]])] })",
  "Object.assign(Object.create(null), { k: new Set(['x']) })",
  "[1, , new Date(3)]",
];
