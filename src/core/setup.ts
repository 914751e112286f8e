// `cache.setup`'s first argument turned into a backend: URLs through the runtime's schemes, backends as
// they are, other objects through the adapters, lists as tiers; and the readers of URL parameters
// that the scheme factories share.
import type { Clock } from "./clock";
import { CacheConfigError, errorMessage } from "./errors";
import { registeredScheme } from "./lazy";
import type { RouteConfig } from "./route";
import { checkSetupOptions, configError, routeConfig, type SetupOptions } from "./setup-options";
import { TieredBackend } from "./tiers";
import type { Backend } from "./types";

export type { SetupOptions } from "./setup-options";

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
  "decompressLimit",
  "clientSide",
  "copy",
] as const;

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
    const tiers = target.map((tier) => openTarget(env, tier as string | object, undefined));
    if (tiers.length > 1 && options.clientSide === true) {
      throw configError(
        "clientSide takes one backend, not a list of tiers",
        'a list that starts with "mem://" already has a memory tier in front (["mem://", "redis://…"]); remove clientSide',
      );
    }
    backend = tiers.length === 1 ? (tiers[0] as Backend) : new TieredBackend(tiers);
  } else {
    const fromUrl: SetupOptions = {};
    backend = openTarget(env, target as string | object, fromUrl);
    merged = { ...fromUrl, ...options };
  }
  if (merged.clientSide === true) backend = withLocalTier(env, backend);
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

/** Opens one target; `fromUrl` collects the core's URL parameters, and is absent for a tier, which may not carry them. */
function openTarget(env: SetupEnv, target: string | object, fromUrl: SetupOptions | undefined): Backend {
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

function openUrl(env: SetupEnv, text: string, fromUrl: SetupOptions | undefined): Backend {
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
  const factory = schemeFactory(env, url.protocol.slice(0, -1));
  const params = new URLSearchParams(url.search);
  takeCoreParams(params, text, fromUrl);
  return factory(url, params, { clock: env.clock });
}

/** The factory of `scheme` on this runtime; throws an error that says where it runs, or how to register it, when there is none. */
function schemeFactory(env: SetupEnv, scheme: string): SchemeFactory {
  const factory = env.schemes[scheme] ?? registeredScheme(scheme);
  if (factory !== undefined) return factory;
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

/**
 * Moves the core's parameters from `params` into `fromUrl`, leaving the backend's own; refuses a
 * parameter given twice in the URL `text`, and any core parameter in a tier's URL (no `fromUrl`):
 * they configure the whole list, and dropping one silently would, say, leave `suppress` on.
 */
function takeCoreParams(params: URLSearchParams, text: string, fromUrl: SetupOptions | undefined): void {
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
    if (fromUrl === undefined) {
      throw configError(
        `URL parameter ${name} in the tier "${redact(text)}" would apply to every tier`,
        `remove it from the URL and pass it in setup's options: setup([…], { ${name}: … })`,
      );
    }
    params.delete(name);
    readCoreParam(fromUrl, name, value);
  }
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
    case "decompressLimit":
      if (!/^\d+$/.test(value)) {
        throw configError(
          `URL parameter ${name}=${value} is not a byte count`,
          `write for example ${name}=16777216`,
        );
      }
      into.decompressLimit = Number(value);
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
