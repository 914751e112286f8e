// The options object of `cache.setup`: its names and types checked before anything opens, and
// the route configuration built from it once the backend is known.
import type { Serializer } from "../serialization/codec";
import { defaultSerializer } from "../serialization/codec";
import { compressionAvailable, DECOMPRESS_LIMIT } from "../serialization/compress";
import { createSigner } from "../serialization/sign";
import { type Duration, MAX_TIMER_MS, toMilliseconds } from "./durations";
import { CacheConfigError, errorMessage } from "./errors";
import type { ErrorHandler, Middleware, RouteConfig } from "./route";
import { shownValue, unknownName } from "./suggest";
import type { Backend } from "./types";

/** Options of `cache.setup`; the scalar ones may also be given as URL query parameters. */
export interface SetupOptions {
  /** Keys starting with this string go to this backend; the longest matching prefix wins. Default `""` (every key). */
  prefix?: string;
  /** `false` turns every read into a miss and every write into a no-op. Default `true`. */
  enable?: boolean;
  /** `true` (default): a backend failure is reported through `onError` and the call acts as a miss or no-op; `false`: it throws `CacheBackendError`. */
  suppress?: boolean;
  /** Longest time one backend call may take, as a duration (`"200ms"`) or milliseconds; default none. */
  timeout?: Duration;
  /** Signs every value with HMAC-SHA-256; tampered, moved or unsigned values then read as misses. */
  secret?: string;
  /** Turns values into stored text; default: the built-in typed codec. */
  serializer?: Serializer;
  /** `true` compresses values longer than 1024 characters with gzip; a number sets that threshold. */
  compress?: boolean | number;
  /**
   * Largest size, in bytes, a compressed stored value may inflate to; reading stops there and
   * the value reads as a miss reported through `onError`. Default 64 MiB (`67108864`).
   */
  decompressLimit?: number;
  /** Wrap every command of this backend (not the streaming `scan` and `getMatch`); outermost first. */
  middlewares?: readonly Middleware[];
  /** Receives the failures that `suppress` hides. Default: a console warning at most once a minute. */
  onError?: ErrorHandler;
  /** Keeps a local copy of Redis reads, invalidated by the server (Redis backends). */
  clientSide?: boolean;
  /**
   * `false` (reference mode, memory backend): every hit of a stored value returns the same
   * decoded object instead of a fresh copy, so a caller that mutates it changes what later hits
   * see. Default `true`: each read decodes its own copy. Other backends always copy.
   */
  copy?: boolean;
}

const COMPRESS_ABOVE = 1024;

/** Every option `setup` takes, for the check that refuses a misspelt one. */
const SETUP_OPTIONS = [
  "prefix",
  "enable",
  "suppress",
  "timeout",
  "secret",
  "serializer",
  "compress",
  "decompressLimit",
  "middlewares",
  "onError",
  "clientSide",
  "copy",
] as const;

/**
 * Checks the options object given to `setup` before anything opens: only known names (a typo
 * such as `supress` would otherwise leave the default on), and booleans and functions where
 * they are expected (the string "false" is truthy, and would do the opposite of what it says).
 */
export function checkSetupOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw configError(
      `the options must be an object, got ${shownValue(options)}`,
      'pass for example { prefix: "user:", timeout: "200ms" }',
    );
  }
  const unknown = unknownName(options, SETUP_OPTIONS);
  if (unknown !== undefined) {
    throw configError(
      `unknown option \`${unknown.name}\``,
      `${unknown.near === undefined ? "remove it" : `did you mean \`${unknown.near}\`?`}; setup takes ${SETUP_OPTIONS.join(", ")}`,
    );
  }
  const given = options as Record<string, unknown>;
  checkFlags(given);
  checkHooks(given);
}

/** The boolean options are booleans. */
function checkFlags(given: Record<string, unknown>): void {
  for (const name of ["enable", "suppress", "clientSide", "copy"] as const) {
    const value = given[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw configError(
        `the \`${name}\` option must be true or false, got ${shownValue(value)}`,
        `pass ${name}: ${name === "enable" || name === "copy" ? "false" : "true"}, or omit it`,
      );
    }
  }
}

/** `onError`, `middlewares` and `serializer` hold functions where the core will call them. */
function checkHooks(given: Record<string, unknown>): void {
  if (given.onError !== undefined && typeof given.onError !== "function") {
    throw configError(
      `the \`onError\` option must be a function, got ${shownValue(given.onError)}`,
      "pass (error, call) => { … }",
    );
  }
  const middlewares = given.middlewares;
  if (
    middlewares !== undefined &&
    (!Array.isArray(middlewares) || middlewares.some((middleware) => typeof middleware !== "function"))
  ) {
    throw configError(
      "the `middlewares` option must be an array of functions",
      "pass for example middlewares: [async (call, next) => next()]",
    );
  }
  const serializer = given.serializer as Partial<Serializer> | null | undefined;
  if (
    serializer !== undefined &&
    (typeof serializer !== "object" ||
      serializer === null ||
      typeof serializer.encode !== "function" ||
      typeof serializer.decode !== "function")
  ) {
    throw configError(
      "the `serializer` option must be an object with encode(value) and decode(text)",
      "pass an object such as { encode: JSON.stringify, decode: JSON.parse }",
    );
  }
}

/** The route configuration of `backend` under `options` (those given merged over those from its URL). */
export function routeConfig(backend: Backend, options: SetupOptions): RouteConfig {
  checkRouteOptions(options);
  const compress = options.compress;
  return {
    prefix: options.prefix ?? "",
    backend,
    codec: {
      serializer: options.serializer ?? defaultSerializer,
      signer: options.secret === undefined ? undefined : createSigner(options.secret),
      compressAbove:
        compress === true
          ? COMPRESS_ABOVE
          : typeof compress === "number"
            ? compress
            : Number.POSITIVE_INFINITY,
      decompressLimit: options.decompressLimit ?? DECOMPRESS_LIMIT,
    },
    enabled: options.enable ?? true,
    suppress: options.suppress ?? true,
    timeoutMs: options.timeout === undefined ? undefined : timeoutMs(options.timeout),
    middlewares: options.middlewares ?? [],
    onError: options.onError,
    copy: options.copy ?? true,
  };
}

/** The `timeout` option in milliseconds: one a timer can wait for, and not 0, which would fail every call. */
function timeoutMs(timeout: Duration): number {
  const ms = toMilliseconds(timeout, "timeout");
  if (ms === 0 || ms > MAX_TIMER_MS) {
    const why = ms === 0 ? "" : `, since timers cannot wait longer than ${MAX_TIMER_MS} ms (about 24.8 days)`;
    throw configError(
      `a timeout of ${ms} ms would make every backend call time out${why}`,
      'pass a duration such as "200ms", or omit timeout for no limit',
    );
  }
  return ms;
}

/** Checks the values of the merged options, which a URL may have set too: prefix, secret, copy, compress, decompressLimit. */
function checkRouteOptions(options: SetupOptions): void {
  if (options.prefix !== undefined && typeof options.prefix !== "string") {
    throw configError("the `prefix` option must be a string", 'use for example { prefix: "user" }');
  }
  if (options.secret !== undefined && (typeof options.secret !== "string" || options.secret.length === 0)) {
    throw configError("the `secret` option must be a non-empty string", "pass the signing secret as text");
  }
  if (options.copy !== undefined && typeof options.copy !== "boolean") {
    throw configError(
      "the `copy` option must be a boolean",
      "pass copy: false for reference mode, or omit it",
    );
  }
  const compress = options.compress;
  if (compress !== undefined && compress !== false && !compressionAvailable()) {
    throw configError(
      "`compress` needs CompressionStream, which this runtime lacks",
      "remove the `compress` option",
    );
  }
  if (typeof compress === "number" && !(compress >= 0)) {
    throw configError(
      `\`compress\` threshold ${compress} is not a non-negative number`,
      "pass true or a character count",
    );
  }
  const limit: unknown = options.decompressLimit;
  if (limit !== undefined && !(typeof limit === "number" && limit > 0)) {
    throw configError(
      `\`decompressLimit\` must be a positive number of bytes, got ${shownValue(limit)}`,
      "pass for example decompressLimit: 16 * 1024 * 1024, or omit it for 64 MiB",
    );
  }
}

/** A `CacheConfigError` from `setup`. */
export function configError(problem: string, remedy: string, cause?: unknown): CacheConfigError {
  return new CacheConfigError(
    errorMessage("setup", problem, remedy),
    cause === undefined ? undefined : { cause },
  );
}
