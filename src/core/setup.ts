import type { Serializer } from "../serialization/codec";
import { defaultSerializer } from "../serialization/codec";
import { compressionAvailable } from "../serialization/compress";
import { createSigner } from "../serialization/sign";
import type { Clock } from "./clock";
import { type Duration, toMilliseconds } from "./durations";
import { CacheConfigError, errorMessage } from "./errors";
import { registeredScheme } from "./lazy";
import type { ErrorHandler, Middleware, RouteConfig } from "./route";
import { shownValue, unknownName } from "./suggest";
import { TieredBackend } from "./tiers";
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

/** Builds a backend from a URL; `params` holds the query parameters the core did not consume. */
export type SchemeFactory = (url: URL, params: URLSearchParams, env: { clock: Clock }) => Backend;

/** Turns a non-URL object given to `setup` (such as `{ kv: env.CACHE }`) into a backend, or `undefined`. */
export type ObjectAdapter = (target: object, env: { clock: Clock }) => Backend | undefined;

/** What `setup` accepts as its first argument. */
export type SetupTarget = string | Backend | object | readonly (string | Backend | object)[];

/** Where each scheme can run, for the error that names a scheme this runtime cannot serve. */
const SCHEME_HOMES: Readonly<Record<string, string>> = {
  mem: "every runtime",
  upstash: "every runtime",
  redis: "Node, Bun and Deno",
  rediss: "Node, Bun and Deno",
  kv: "Cloudflare Workers",
  idb: "browsers",
  file: "Node, Bun and Deno",
};

/** Backends whose client bundled runtimes (Workers, browsers) load only when the program registers them. */
const CLIENT_PACKAGES: Readonly<Record<string, { subpath: string; export: string; factory: string }>> = {
  upstash: { subpath: "upstash", export: "upstash", factory: "upstashBackend" },
  idb: { subpath: "idb", export: "idb", factory: "idbBackend" },
};

const CORE_PARAMS = [
  "prefix",
  "enable",
  "suppress",
  "timeout",
  "secret",
  "compress",
  "clientSide",
  "copy",
] as const;
const COMPRESS_ABOVE = 1024;

/** The runtime-specific pieces `setup` needs. */
export interface SetupEnv {
  runtime: string;
  clock: Clock;
  schemes: Readonly<Record<string, SchemeFactory>>;
  adapters: readonly ObjectAdapter[];
}

/** Turns `setup(target, options)` into one route configuration; throws `CacheConfigError` on bad input. */
export function resolveSetup(env: SetupEnv, target: SetupTarget, options: SetupOptions = {}): RouteConfig {
  checkSetupOptions(options);
  let merged: SetupOptions = options;
  let backend: Backend;
  if (Array.isArray(target)) {
    if (target.length === 0)
      throw configError("setup() got an empty list of tiers", "pass at least one URL or backend");
    const tiers = target.map((tier) => openTarget(env, tier as string | object, {}));
    backend = tiers.length === 1 ? (tiers[0] as Backend) : new TieredBackend(tiers);
  } else {
    const fromUrl: SetupOptions = {};
    backend = openTarget(env, target as string | object, fromUrl);
    merged = { ...fromUrl, ...options };
    if (merged.clientSide === true) backend = withLocalTier(env, backend);
  }
  return routeConfig(backend, merged);
}

/** `clientSide`: a memory tier in front of a backend that reports other processes' writes. */
function withLocalTier(env: SetupEnv, backend: Backend): Backend {
  if (backend.capabilities.invalidations !== true) {
    throw configError(
      `clientSide needs a backend that reports writes made by other processes, and ${backend.name} does not`,
      "use a redis:// or rediss:// URL (or redisBackend({ url })), or remove clientSide",
    );
  }
  const memory = env.schemes.mem?.(new URL("mem://"), new URLSearchParams(), { clock: env.clock });
  if (memory === undefined) throw configError("clientSide needs mem:// on this runtime", "remove clientSide");
  return new TieredBackend([memory, backend]);
}

/** Every option `setup` takes, for the check that refuses a misspelt one. */
const SETUP_OPTIONS = [
  "prefix",
  "enable",
  "suppress",
  "timeout",
  "secret",
  "serializer",
  "compress",
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
function checkSetupOptions(options: unknown): void {
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
  for (const name of ["enable", "suppress", "clientSide", "copy"] as const) {
    const value = given[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw configError(
        `the \`${name}\` option must be true or false, got ${shownValue(value)}`,
        `pass ${name}: ${name === "enable" || name === "copy" ? "false" : "true"}, or omit it`,
      );
    }
  }
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

function routeConfig(backend: Backend, options: SetupOptions): RouteConfig {
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
    },
    enabled: options.enable ?? true,
    suppress: options.suppress ?? true,
    timeoutMs: options.timeout === undefined ? undefined : toMilliseconds(options.timeout, "timeout"),
    middlewares: options.middlewares ?? [],
    onError: options.onError,
    copy: options.copy ?? true,
  };
}

function openTarget(env: SetupEnv, target: string | object, fromUrl: SetupOptions): Backend {
  if (typeof target === "string") return openUrl(env, target, fromUrl);
  if (isBackend(target)) return target;
  if (typeof target === "object" && target !== null) {
    for (const adapt of env.adapters) {
      const backend = adapt(target, { clock: env.clock });
      if (backend !== undefined) return backend;
    }
  }
  throw configError(
    "setup() got something that is neither a URL nor a backend",
    'pass a URL such as "mem://", an object implementing the Backend interface, or a list of those',
  );
}

/** True for an object that implements the `Backend` interface. */
export function isBackend(value: unknown): value is Backend {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Backend>;
  return (
    typeof candidate.name === "string" &&
    typeof candidate.get === "function" &&
    typeof candidate.set === "function"
  );
}

function openUrl(env: SetupEnv, text: string, fromUrl: SetupOptions): Backend {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw configError(
      `"${redact(text)}" is not a valid URL`,
      'use a URL such as "mem://?size=10000" or "redis://127.0.0.1:6379/0"',
      cause,
    );
  }
  const scheme = url.protocol.slice(0, -1);
  const factory = env.schemes[scheme] ?? registeredScheme(scheme);
  if (factory === undefined) {
    const client = CLIENT_PACKAGES[scheme];
    if (client !== undefined && (SCHEME_HOMES[scheme] === "every runtime" || env.runtime === "browser")) {
      throw configError(
        `${scheme}:// is not registered on ${env.runtime}, where backends load only when the program imports them`,
        `add \`import { ${client.export} } from "isocache/backends/${client.subpath}"; registerScheme(${client.export});\` before setup, or pass ${client.factory}({ … }) to setup`,
      );
    }
    const home = SCHEME_HOMES[scheme];
    const available = Object.keys(env.schemes)
      .map((name) => `${name}://`)
      .join(", ");
    if (home !== undefined) {
      throw configError(
        `${scheme}:// is not served on ${env.runtime}`,
        `it runs on ${home}; on ${env.runtime} use one of ${available}`,
      );
    }
    throw configError(`unknown URL scheme "${scheme}:"`, `use one of ${available}`);
  }
  const params = new URLSearchParams(url.search);
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) {
      throw configError(
        `URL parameter ${name} is given more than once in "${redact(text)}"`,
        `keep one ${name}=…`,
      );
    }
  }
  for (const name of CORE_PARAMS) {
    const value = params.get(name);
    if (value === null) continue;
    params.delete(name);
    readCoreParam(fromUrl, name, value);
  }
  return factory(url, params, { clock: env.clock });
}

function readCoreParam(into: SetupOptions, name: (typeof CORE_PARAMS)[number], value: string): void {
  switch (name) {
    case "prefix":
      into.prefix = value;
      return;
    case "secret":
      into.secret = value;
      return;
    case "timeout":
      into.timeout = /^\d+$/.test(value) ? Number(value) : value;
      return;
    case "compress":
      into.compress = /^\d+$/.test(value) ? Number(value) : readBoolean(name, value);
      return;
    default:
      into[name] = readBoolean(name, value);
  }
}

/** Reads a boolean URL parameter (`true`/`false`/`1`/`0`). */
export function readBoolean(name: string, value: string): boolean {
  if (value === "true" || value === "1" || value === "") return true;
  if (value === "false" || value === "0") return false;
  throw configError(`URL parameter ${name}=${value} is not a boolean`, `write ${name}=true or ${name}=false`);
}

/** Reads a positive integer URL parameter, or `fallback` when absent. */
export function readPositiveInt(
  params: URLSearchParams,
  name: string,
  fallback: number,
  scope?: string,
): number {
  const value = params.get(name);
  if (value === null) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed <= 0) {
    throw new CacheConfigError(
      errorMessage(
        scope,
        `URL parameter ${name}=${value} is not a positive integer`,
        `write for example ${name}=${fallback}`,
      ),
    );
  }
  return parsed;
}

/** Rejects query parameters that no one consumed, so a typo does not go unnoticed. */
export function rejectUnknownParams(params: URLSearchParams, known: readonly string[], scope: string): void {
  for (const name of params.keys()) {
    if (!known.includes(name)) {
      const valid = [...CORE_PARAMS, ...known].join(", ");
      throw new CacheConfigError(
        errorMessage(scope, `unknown URL parameter "${name}"`, `valid parameters are ${valid}`),
      );
    }
  }
}

function redact(text: string): string {
  return text.replace(/(token|secret|password)=[^&]*/gi, "$1=***").replace(/\/\/[^@/]*@/, "//***@");
}

function configError(problem: string, remedy: string, cause?: unknown): CacheConfigError {
  return new CacheConfigError(
    errorMessage("setup", problem, remedy),
    cause === undefined ? undefined : { cause },
  );
}
