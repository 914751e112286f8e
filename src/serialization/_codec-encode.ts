import { type Kind, kindOf, tagOf } from "../core/brands";
import { CacheValueError, errorMessage } from "../core/errors";
import { CLASS_PREFIX, findType, MARK, TYPED_ARRAY_NAMES, type TypeEntry } from "./_codec-shared";
import { bytesToBase64 } from "./base64";

// Tags without payload are shared: JSON.stringify writes a repeated (acyclic) object each time.
const UNDEFINED = { [MARK]: "undefined" };
const NAN = { [MARK]: "nan" };
const INFINITY = { [MARK]: "inf" };
const NEG_INFINITY = { [MARK]: "-inf" };
const NEG_ZERO = { [MARK]: "-0" };

type Dict = Record<string, unknown>;

/**
 * Where a value sits, as `JSON.stringify` would pass it to a `toJSON`: a property name, an array
 * index (turned into text only when a toJSON asks), "" at the top and where JSON has no key.
 */
type Slot = string | number;

/**
 * Turns any supported value into a JSON-compatible tree with tagged special values.
 * Every object gets an index in first-visit order (depth first, keys in `Object.keys` order);
 * a later visit of the same object is written as `{"$t":"ref","v":index}`. The decoder visits
 * in the same order, so indices never need to be written for the first occurrence.
 */
export function encodeTree(value: unknown): unknown {
  return new Encoder().enc(value);
}

class Encoder {
  private readonly ids = new Map<object, number>();
  private next = 0;
  /** Registered-class instances whose payload is being encoded: a reference back is a cycle. */
  private pending: Set<object> | undefined;

  enc(value: unknown, slot: Slot = ""): unknown {
    switch (typeof value) {
      case "string":
      case "boolean":
        return value;
      case "number":
        if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? NEG_ZERO : value;
        return Number.isNaN(value) ? NAN : value > 0 ? INFINITY : NEG_INFINITY;
      case "undefined":
        return UNDEFINED;
      case "bigint":
        return { [MARK]: "bigint", v: value.toString() };
      case "object":
        return value === null ? null : this.object(value, slot);
      default:
        throw unsupported(value);
    }
  }

  private object(value: object, slot: Slot): unknown {
    const id = this.ids.get(value);
    if (id !== undefined) {
      if (this.pending?.has(value)) throw selfReference(value);
      return { [MARK]: "ref", v: id };
    }
    this.ids.set(value, this.next++);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Array.prototype) return this.array(value as unknown[]);
    if (proto !== Object.prototype && proto !== null) return this.special(value, slot);
    // A plain object's toJSON says what it stands for, as for JSON.stringify (its own `toJSON`
    // function could not be stored anyway).
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return this.viaToJSON(value, slot);
    return proto === null
      ? { [MARK]: "null-proto", v: this.entries(value as Dict) }
      : this.record(value as Dict);
  }

  private special(value: object, slot: Slot): unknown {
    const type = findType(value);
    if (type) return this.custom(value, type);
    if (Array.isArray(value)) return this.array(value);
    if (ArrayBuffer.isView(value)) return this.view(value);
    // A built-in or platform object carries its class in the toString tag.
    const tag = tagOf(value);
    // By internal slots, not instanceof: a value from another realm (node:vm, an iframe) counts.
    const kind = kindOf(value, tag);
    if (kind !== undefined) return this.builtin(value, kind);
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") return this.viaToJSON(value, slot);
    // Any other (WeakMap, Response, ReadableStream, a generator, …) keeps its data in internal
    // slots: read as its own properties it would come back as `{}`, so it is refused.
    if (tag !== "Object" && tag !== "Arguments" && Object.keys(value).length === 0) throw opaque(tag);
    // Unregistered class instances keep their own enumerable data, as structuredClone does.
    return this.record(value as Dict);
  }

  /** A built-in `kindOf` recognised; its methods are called through our own intrinsics. */
  private builtin(value: object, kind: Kind): unknown {
    switch (kind) {
      case "Date": {
        const time = Date.prototype.getTime.call(value);
        return { [MARK]: "Date", v: Number.isNaN(time) ? null : Date.prototype.toISOString.call(value) };
      }
      case "RegExp": {
        const { source, flags } = value as RegExp;
        return { [MARK]: "RegExp", v: [source, flags] };
      }
      case "Map":
        return { [MARK]: "Map", v: this.mapEntries(value as Map<unknown, unknown>) };
      case "Set":
        return { [MARK]: "Set", v: Array.from(value as Set<unknown>, (item) => this.enc(item)) };
      case "ArrayBuffer":
        return { [MARK]: "ArrayBuffer", v: bytesToBase64(new Uint8Array(value as ArrayBuffer)) };
      case "Error":
        return this.error(value as Error);
      case "String":
      case "Number":
      case "Boolean":
      case "BigInt":
        return { [MARK]: "box", v: this.enc((value as { valueOf(): unknown }).valueOf()) };
      case "Symbol":
        throw unsupported(Symbol.prototype.valueOf.call(value));
      case "Promise":
        throw promise();
      default:
        // Blob, Headers, FormData, URLSearchParams, AbortSignal, SharedArrayBuffer: their data is
        // in internal slots, whatever fields a subclass adds (and Bun's toJSON for some of them,
        // which other runtimes lack, is not looked at, so every runtime stores the same thing).
        throw opaque((value as { constructor?: { name?: string } }).constructor?.name || kind);
    }
  }

  private record(value: Dict): unknown {
    const out = this.entries(value);
    return Object.hasOwn(out, MARK) ? { [MARK]: "object", v: out } : out;
  }

  /** Own enumerable entries, encoded; a null-prototype target so `__proto__` is plain data. */
  private entries(value: Dict): Dict {
    const out: Dict = Object.create(null);
    for (const key of Object.keys(value)) out[key] = this.enc(value[key], key);
    return out;
  }

  private array(value: unknown[]): unknown {
    const length = value.length;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) return this.sparse(value, out, i);
      out[i] = this.enc(item, i);
    }
    return out;
  }

  /** `{"$t":"sparse","v":[length, index, item, index, item, ...]}` listing only present slots. */
  private sparse(value: unknown[], done: unknown[], hole: number): unknown {
    const length = value.length;
    const flat: unknown[] = [length];
    for (let i = 0; i < hole; i++) flat.push(i, done[i]);
    // Object.keys lists only present indices, so a huge mostly-empty array costs its content.
    for (const key of Object.keys(value)) {
      const index = Number(key);
      if (index > hole && index < length && Number.isInteger(index) && String(index) === key) {
        flat.push(index, this.enc(value[index], index));
      }
    }
    return { [MARK]: "sparse", v: flat };
  }

  private mapEntries(map: Map<unknown, unknown>): unknown[] {
    const flat: unknown[] = [];
    for (const [key, item] of map) flat.push(this.enc(key), this.enc(item));
    return flat;
  }

  private view(value: ArrayBufferView): unknown {
    const name = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    const tag = typeof name === "string" && TYPED_ARRAY_NAMES.has(name) ? name : "DataView";
    // Only the view's own bytes: a Node Buffer may be a small window on an 8 KiB pool.
    return {
      [MARK]: tag,
      v: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)),
    };
  }

  private error(value: Error): unknown {
    const payload: Dict = { name: String(value.name), message: String(value.message) };
    if (typeof value.stack === "string") payload.stack = value.stack;
    if (Object.hasOwn(value, "cause")) payload.cause = this.enc(value.cause, "cause");
    // Own `errors` is where AggregateError keeps them, in any realm.
    if (
      value instanceof AggregateError ||
      (payload.name === "AggregateError" && Object.hasOwn(value, "errors"))
    )
      payload.errors = this.enc((value as AggregateError).errors, "errors");
    const props: Dict = Object.create(null);
    let any = false;
    for (const key of Object.keys(value)) {
      if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
      props[key] = this.enc((value as unknown as Dict)[key], key);
      any = true;
    }
    if (any) payload.props = props;
    return { [MARK]: "Error", v: payload };
  }

  private custom(value: object, type: TypeEntry): unknown {
    this.pending ??= new Set();
    this.pending.add(value);
    const payload = this.enc(type.encode(value as never));
    this.pending.delete(value);
    return { [MARK]: CLASS_PREFIX + type.name, v: payload };
  }

  /** An object with `toJSON` (Temporal, Decimal, Luxon, a plain object...) is stored as its JSON form, as JSON does. */
  private viaToJSON(value: object, slot: Slot): unknown {
    // The object itself will not exist after decoding: give its index to its JSON form instead.
    this.ids.delete(value);
    this.next--;
    const json: unknown = (value as { toJSON(key: string): unknown }).toJSON(String(slot));
    if (json === value) {
      this.ids.set(value, this.next++);
      return this.record(value as Dict);
    }
    if (typeof json === "object" && json !== null) this.ids.set(value, this.ids.get(json) ?? this.next);
    return this.enc(json, slot);
  }
}

function unsupported(value: unknown): CacheValueError {
  const what =
    typeof value === "function"
      ? `function ${(value as { name?: string }).name || "(anonymous)"}`
      : `${typeof value} ${String(value)}`;
  return new CacheValueError(
    errorMessage(
      "codec",
      `cannot serialize a ${what}`,
      "cache plain data only: remove it from the value or convert it (a symbol to its description)",
    ),
  );
}

function opaque(name: string): CacheValueError {
  return new CacheValueError(
    errorMessage(
      "codec",
      `cannot serialize an object of type ${name}: its data is not in properties a cache can copy`,
      `convert it to plain data first (a Blob with await blob.arrayBuffer(), Headers with Object.fromEntries(headers)), or registerType(${name}, encode, decode)`,
    ),
  );
}

function promise(): CacheValueError {
  return new CacheValueError(
    errorMessage("codec", "cannot serialize a Promise", "await it and cache the resolved value"),
  );
}

function selfReference(value: object): CacheValueError {
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
  return new CacheValueError(
    errorMessage(
      "codec",
      `the registerType encoder of ${name} returned data that refers back to the instance`,
      "return plain data from the encode function, without a path back to the value itself",
    ),
  );
}
