/**
 * Placeholder formatters (`{name:lower}`, `{token:jwt(sub)}`, `{password:hash(sha256)}`) and
 * type formatters. A formatter is looked up and its arguments checked when a template is
 * compiled (wrap time), so a typo fails at startup rather than on the first call.
 */

import { kindOf, tagOf } from "../core/brands";
import { CacheArgumentError, CacheConfigError, errorMessage } from "../core/errors";
import { lengthOf } from "./length";
import { addTypeFormatter, renderText } from "./render";

/** A formatter: receives the placeholder's value (or the previous formatter's result) and its text arguments. */
export type Formatter = (value: unknown, ...args: string[]) => unknown;

/** Options of `registerFormatter`. */
export interface FormatterOptions {
  /** The formatter returns a Promise, so keys using it are computed asynchronously; default: true for `async` functions. */
  async?: boolean;
}

/** A formatter bound to one placeholder's arguments. */
export interface BoundFormatter {
  readonly apply: (value: unknown) => unknown;
  /** `apply` returns a Promise. */
  readonly async: boolean;
}

interface FormatterDefinition {
  readonly async: boolean;
  /** Checks the arguments once, at compile time, and returns the function applied on every call. */
  bind(args: readonly string[], where: string): (value: unknown) => unknown;
}

const custom = new Map<string, FormatterDefinition>();

const FORMATTER_NAME = /^[A-Za-z_$][\w$-]*$/;

/**
 * Adds (or replaces) the formatter `name`, usable in templates as `{param:name}` or `{param:name(a,b)}`.
 * Formatters registered later are not seen by templates compiled before.
 * @example registerFormatter("slug", (v) => String(v).toLowerCase().replace(/\W+/g, "-"))
 */
export function registerFormatter(name: string, fn: Formatter, options?: FormatterOptions): void {
  if (!FORMATTER_NAME.test(name)) {
    throw new CacheConfigError(
      errorMessage(
        "key",
        `formatter name ${JSON.stringify(name)} is not valid`,
        "use letters, digits, _, $ or -, not starting with a digit",
      ),
    );
  }
  if (typeof fn !== "function") {
    throw new CacheConfigError(
      errorMessage("key", `formatter ${name} is not a function`, "pass (value, ...args) => result"),
    );
  }
  const isAsync = options?.async ?? Object.prototype.toString.call(fn) === "[object AsyncFunction]";
  custom.set(name, { async: isAsync, bind: (args) => (value) => fn(value, ...args) });
}

/**
 * Renders every interpolated instance of `type` (checked with `instanceof`, most recently
 * registered first) with `fn`, in templates and in automatic keys.
 * @example registerTypeFormatter(User, (u) => u.id)
 */
// biome-ignore lint/suspicious/noExplicitAny: a class of any constructor signature may be registered.
export function registerTypeFormatter<T extends abstract new (...args: any[]) => unknown>(
  type: T,
  fn: (value: InstanceType<T>) => string,
): void {
  if (typeof type !== "function" || typeof fn !== "function") {
    throw new CacheConfigError(
      errorMessage(
        "key",
        "registerTypeFormatter needs a class and a function",
        "call registerTypeFormatter(Class, (value) => text)",
      ),
    );
  }
  addTypeFormatter(type, fn);
}

/**
 * Looks up formatter `name` and checks `args`; throws `CacheConfigError` naming `where` (the
 * placeholder) when the formatter is unknown or its arguments are invalid.
 */
export function bindFormatter(name: string, args: readonly string[], where: string): BoundFormatter {
  const definition = custom.get(name) ?? (Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined);
  if (definition === undefined) {
    const known = [...new Set([...Object.keys(BUILTINS), ...custom.keys()])].join(", ");
    throw new CacheConfigError(
      errorMessage(
        "key",
        `unknown formatter "${name}" in ${where}`,
        `use one of ${known}, or registerFormatter("${name}", fn) before wrapping`,
      ),
    );
  }
  return { apply: definition.bind(args, where), async: definition.async };
}

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function"
  );
}

/**
 * Applies a placeholder's formatters left to right and renders the result as text, awaiting
 * only from the first formatter that returns a Promise.
 */
export function applyFormatters(
  value: unknown,
  chain: readonly BoundFormatter[],
  from = 0,
): string | Promise<string> {
  let current = value;
  for (let i = from; i < chain.length; i++) {
    current = (chain[i] as BoundFormatter).apply(current);
    if (isPromise(current)) {
      const next = i + 1;
      return Promise.resolve(current).then((resolved) => applyFormatters(resolved, chain, next));
    }
  }
  return renderText(current);
}

/** A formatter without arguments; `transform` gets the placeholder (`where`) to name in its errors. */
function noArgs(name: string, transform: (value: unknown, where: string) => unknown): FormatterDefinition {
  return {
    async: false,
    bind(args, where) {
      if (args.length > 0) {
        throw new CacheConfigError(
          errorMessage("key", `formatter ${name} takes no arguments in ${where}`, `write {…:${name}}`),
        );
      }
      return (value) => transform(value, where);
    },
  };
}

const HASHES: Record<string, string> = { sha1: "SHA-1", sha256: "SHA-256", sha512: "SHA-512" };

const hash: FormatterDefinition = {
  async: true,
  bind(args, where) {
    const requested = (args[0] ?? "sha256").toLowerCase().replace("-", "");
    const algorithm = Object.hasOwn(HASHES, requested) ? HASHES[requested] : undefined;
    if (algorithm === undefined || args.length > 1) {
      throw new CacheConfigError(
        errorMessage(
          "key",
          `hash(${args.join(",")}) in ${where} names no supported algorithm`,
          "use hash(sha1), hash(sha256) or hash(sha512)",
        ),
      );
    }
    return (value) => digestHex(algorithm, value);
  },
};

async function digestHex(algorithm: string, value: unknown): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(algorithm, bytesOf(value)));
  let hex = "";
  for (const byte of digest) hex += (byte < 16 ? "0" : "") + byte.toString(16);
  return hex;
}

/** Bytes hash as themselves, from any realm (wrapped in this realm's Uint8Array); anything else as its text. */
function bytesOf(value: unknown): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array | undefined;
  if (ArrayBuffer.isView(value)) {
    bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  } else if (value !== null && typeof value === "object") {
    const kind = kindOf(value);
    if (kind === "ArrayBuffer" || kind === "SharedArrayBuffer") bytes = new Uint8Array(value as ArrayBuffer);
  }
  if (bytes === undefined) return new TextEncoder().encode(renderText(value));
  // Web Crypto refuses a view on shared memory (another thread could change it mid-digest).
  return (tagOf(bytes.buffer) === "SharedArrayBuffer" ? bytes.slice() : bytes) as Uint8Array<ArrayBuffer>;
}

const jwt: FormatterDefinition = {
  async: false,
  bind(args, where) {
    const claim = args[0];
    if (args.length !== 1 || claim === undefined || claim === "") {
      throw new CacheConfigError(
        errorMessage("key", `jwt in ${where} needs one claim`, "write {token:jwt(sub)}"),
      );
    }
    const path = claim.split(".");
    return (value) => claimOf(jwtPayload(value, where), path, claim, where);
  },
};

/**
 * The claim at `path` in a JWT payload. A missing (or null) claim throws: rendered as "", every
 * token without it would share one key, and one user's cached data would be served to another.
 */
function claimOf(payload: object, path: readonly string[], claim: string, where: string): unknown {
  let current: unknown = payload;
  for (const segment of path) {
    current =
      current !== null && typeof current === "object" && Object.hasOwn(current, segment)
        ? (current as Record<string, unknown>)[segment]
        : undefined;
    if (current === undefined || current === null) {
      throw new CacheArgumentError(
        errorMessage(
          "key",
          `${where} got a JWT without the claim ${JSON.stringify(claim)} (or with it null)`,
          "make sure every token passed carries the claim, or key on a claim they all have (or a key function)",
        ),
      );
    }
  }
  return current;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The decoded, unverified payload of a compact JWS (`header.payload.signature`, optionally after
 * `Bearer `). A malformed token throws: rendering it as "" would let every bad token share one key.
 */
function jwtPayload(value: unknown, where: string): object {
  const token = typeof value === "string" ? value.replace(/^Bearer\s+/i, "") : undefined;
  const part = token?.split(".");
  const payload = part?.length === 3 ? part[1] : undefined;
  if (payload !== undefined && BASE64URL.test(payload)) {
    try {
      const base64 = payload
        .replace(/-/g, "+")
        .replace(/_/g, "/")
        .padEnd(Math.ceil(payload.length / 4) * 4, "=");
      const binary = atob(base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      if (parsed !== null && typeof parsed === "object") return parsed;
    } catch {
      // Falls through to the error below, which never echoes the token.
    }
  }
  throw new CacheArgumentError(
    errorMessage(
      "key",
      `${where} got a value that is not a JWT with a JSON payload`,
      'pass a header.payload.signature token (an optional "Bearer " prefix is fine), or use a key function for calls without one',
    ),
  );
}

// Built-ins live in a frozen literal rather than a registry filled at import time.
const BUILTINS: Readonly<Record<string, FormatterDefinition>> = Object.freeze({
  lower: noArgs("lower", (value) => renderText(value).toLowerCase()),
  upper: noArgs("upper", (value) => renderText(value).toUpperCase()),
  len: noArgs("len", lengthOf),
  hash,
  jwt,
});
