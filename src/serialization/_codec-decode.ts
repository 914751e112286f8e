import { CLASS_PREFIX, MARK, malformed, TYPED_ARRAY_NAMES, typesByName } from "./_codec-shared";
import { base64ToBytes } from "./base64";

type Dict = Record<string, unknown>;
type TypedArrayClass = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

/** Marks the slot of an object still being built; a reference to it is a forged cycle. */
const PENDING: unique symbol = Symbol("pending");

const ERROR_CLASSES: Readonly<Record<string, ErrorConstructor>> = Object.assign(Object.create(null), {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
});

/**
 * Rebuilds values from a `JSON.parse` tree produced by `encodeTree`. Plain objects and arrays
 * of the tree are reused in place (they are fresh and own every key, `__proto__` included, as
 * data), so only tagged nodes allocate. Indices follow the encoder's first-visit order.
 */
export function decodeTree(root: unknown): unknown {
  return new Decoder().dec(root);
}

class Decoder {
  private readonly refs: unknown[] = [];

  dec(node: unknown): unknown {
    if (typeof node !== "object" || node === null) return node;
    if (Array.isArray(node)) {
      this.refs.push(node);
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i];
        if (typeof item === "object" && item !== null) node[i] = this.dec(item);
      }
      return node;
    }
    if (Object.hasOwn(node, MARK)) return this.tagged(node as Dict);
    this.refs.push(node);
    this.fillInPlace(node as Dict);
    return node;
  }

  private fillInPlace(node: Dict): void {
    // Every key listed is an own data property, `__proto__` included, and assigning to an own
    // data property never reaches the inherited `__proto__` setter.
    for (const key of Object.keys(node)) {
      const item = node[key];
      if (typeof item === "object" && item !== null) node[key] = this.dec(item);
    }
  }

  private tagged(node: Dict): unknown {
    const tag = node[MARK];
    const payload = node.v;
    switch (tag) {
      case "undefined":
        return undefined;
      case "nan":
        return Number.NaN;
      case "inf":
        return Number.POSITIVE_INFINITY;
      case "-inf":
        return Number.NEGATIVE_INFINITY;
      case "-0":
        return -0;
      case "bigint":
        if (typeof payload !== "string" || !/^-?\d+$/.test(payload)) throw malformed("bad bigint");
        return BigInt(payload);
      case "ref":
        return this.ref(payload);
      case "object":
        this.refs.push(record(payload, tag));
        this.fillInPlace(payload as Dict);
        return payload;
      case "null-proto":
        return this.nullProto(record(payload, tag));
      case "sparse":
        return this.sparse(list(payload, tag));
      default:
        return this.leafOrClass(String(tag), payload);
    }
  }

  private leafOrClass(tag: string, payload: unknown): unknown {
    switch (tag) {
      case "Date":
        return this.add(new Date(payload === null ? Number.NaN : text(payload, tag)));
      case "RegExp": {
        const [source, flags] = list(payload, tag);
        return this.add(new RegExp(text(source, tag), text(flags, tag)));
      }
      case "Map":
        return this.map(list(payload, tag));
      case "Set": {
        const set = this.add(new Set<unknown>());
        for (const item of list(payload, tag)) set.add(this.dec(item));
        return set;
      }
      case "ArrayBuffer":
        return this.add(base64ToBytes(text(payload, tag)).buffer);
      case "DataView": {
        const bytes = base64ToBytes(text(payload, tag));
        return this.add(new DataView(bytes.buffer, 0, bytes.byteLength));
      }
      case "Error":
        return this.error(record(payload, tag));
      case "box":
        return this.box(payload);
    }
    if (TYPED_ARRAY_NAMES.has(tag)) return this.add(typedArray(tag, text(payload, tag)));
    if (tag.startsWith(CLASS_PREFIX)) return this.custom(tag.slice(CLASS_PREFIX.length), payload);
    throw malformed(`unknown tag ${JSON.stringify(tag).slice(0, 80)}`);
  }

  private add<T>(value: T): T {
    this.refs.push(value);
    return value;
  }

  private ref(index: unknown): unknown {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= this.refs.length) {
      throw malformed("reference to an unknown object");
    }
    const value = this.refs[index];
    if (value === PENDING) throw malformed("reference into a value still being built");
    return value;
  }

  private nullProto(payload: Dict): Dict {
    // No prototype, hence no inherited `__proto__` setter: plain assignment stores data.
    const out = this.add(Object.create(null) as Dict);
    for (const key of Object.keys(payload)) out[key] = this.dec(payload[key]);
    return out;
  }

  private sparse(flat: unknown[]): unknown[] {
    const length = flat[0];
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > 0xffffffff) {
      throw malformed("bad sparse array length");
    }
    const out = this.add(new Array<unknown>(length));
    for (let i = 1; i < flat.length; i += 2) {
      const index = flat[i];
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= length) {
        throw malformed("bad sparse array index");
      }
      out[index] = this.dec(flat[i + 1]);
    }
    return out;
  }

  private map(flat: unknown[]): Map<unknown, unknown> {
    if (flat.length % 2 !== 0) throw malformed("odd Map entry list");
    const map = this.add(new Map<unknown, unknown>());
    for (let i = 0; i < flat.length; i += 2) {
      const key = this.dec(flat[i]);
      map.set(key, this.dec(flat[i + 1]));
    }
    return map;
  }

  private error(payload: Dict): Error {
    const name = typeof payload.name === "string" ? payload.name : "Error";
    const message = typeof payload.message === "string" ? payload.message : "";
    const error =
      name === "AggregateError"
        ? new AggregateError([], message)
        : new (ERROR_CLASSES[name] ?? Error)(message);
    this.add(error);
    if (error.name !== name) hidden(error, "name", name);
    hidden(error, "stack", typeof payload.stack === "string" ? payload.stack : undefined);
    if (Object.hasOwn(payload, "cause")) hidden(error, "cause", this.dec(payload.cause));
    if (Object.hasOwn(payload, "errors")) hidden(error, "errors", this.dec(payload.errors));
    if (Object.hasOwn(payload, "props")) {
      const props = record(payload.props, "Error");
      for (const key of Object.keys(props)) {
        Object.defineProperty(error, key, {
          value: this.dec(props[key]),
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
    }
    return error;
  }

  private box(payload: unknown): object {
    const slot = this.refs.push(PENDING) - 1;
    const value = this.dec(payload);
    const kind = typeof value;
    if (kind !== "string" && kind !== "number" && kind !== "boolean" && kind !== "bigint") {
      throw malformed("bad boxed primitive");
    }
    const box: object = Object(value);
    this.refs[slot] = box;
    return box;
  }

  private custom(name: string, payload: unknown): unknown {
    const type = typesByName.get(name);
    if (!type) throw malformed(`no class registered as ${JSON.stringify(name)}; call registerType() first`);
    // Reserve the slot first: the encoder indexed the instance before its payload.
    const slot = this.refs.push(PENDING) - 1;
    const value = type.decode(this.dec(payload));
    this.refs[slot] = value;
    return value;
  }
}

/** Defines a non-enumerable own property, the way engines define `stack` and `cause`. */
function hidden(target: object, key: string, value: unknown): void {
  if (value === undefined && key === "stack") {
    Reflect.deleteProperty(target, key);
    return;
  }
  Object.defineProperty(target, key, { value, writable: true, enumerable: false, configurable: true });
}

function typedArray(tag: string, payload: string): ArrayBufferView {
  const Class = (globalThis as unknown as Record<string, unknown>)[tag] as
    | (TypedArrayClass & { BYTES_PER_ELEMENT: number })
    | undefined;
  if (typeof Class !== "function") throw malformed(`${tag} is not available in this runtime`);
  const bytes = base64ToBytes(payload);
  if (bytes.byteLength % Class.BYTES_PER_ELEMENT !== 0) throw malformed(`bad ${tag} length`);
  return new Class(bytes.buffer, 0, bytes.byteLength / Class.BYTES_PER_ELEMENT);
}

function record(payload: unknown, tag: string): Dict {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw malformed(`bad ${tag} payload`);
  }
  return payload as Dict;
}

function list(payload: unknown, tag: string): unknown[] {
  if (!Array.isArray(payload)) throw malformed(`bad ${tag} payload`);
  return payload;
}

function text(payload: unknown, tag: string): string {
  if (typeof payload !== "string") throw malformed(`bad ${tag} payload`);
  return payload;
}
