// The driver-free half of the Upstash backend: options, the `upstash://` URL, the environment
// fallback and the capability flags. Runtime entries import this at setup time to check a URL
// without loading `@upstash/redis`, which `upstash.ts` imports on the first command.
import { MAX_TIMER_MS } from "../core/durations";
import { CacheConfigError, errorMessage } from "../core/errors";
import type { BackendCapabilities } from "../core/types";

/** Options of `upstashBackend`. */
export interface UpstashBackendOptions {
  /** REST URL of the database (`https://….upstash.io`); default `UPSTASH_REDIS_REST_URL` from the environment. */
  url?: string;
  /** REST token of the database; default `UPSTASH_REDIS_REST_TOKEN` from the environment. */
  token?: string;
  /**
   * Text put in front of every key, so several programs (or tests) can share one database:
   * `scan`, `clear` and `count` then see only this namespace. Default `""` (the whole database;
   * `clear` is then `FLUSHDB`).
   */
  namespace?: string;
  /** How many times a request that failed on the network is sent again; default 1. */
  retries?: number;
  /** Aborts an HTTP request still unanswered after this many milliseconds; default 10_000. */
  requestTimeout?: number;
}

/** Options after defaults and the environment were applied. */
export interface ResolvedUpstashOptions {
  readonly url: string;
  readonly token: string;
  readonly namespace: string;
  readonly retries: number;
  readonly requestTimeout: number;
}

const URL_ENV = "UPSTASH_REDIS_REST_URL";
const TOKEN_ENV = "UPSTASH_REDIS_REST_TOKEN";
const DEFAULT_RETRIES = 1;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Upstash refuses keys above 32 KiB ("ERR max key size exceeded"), a hard limit per its docs. */
const UPSTASH_MAX_KEY_BYTES = 32 * 1024;
const PARAMS = ["url", "token", "namespace", "retries", "requestTimeout"] as const;

/** `process.env` where the runtime has one (Node, Bun, Deno, workerd with nodejs_compat); not in browsers. */
function environment(): Record<string, string | undefined> | undefined {
  const env = (globalThis as { process?: { env?: unknown } }).process?.env;
  return typeof env === "object" && env !== null ? (env as Record<string, string | undefined>) : undefined;
}

/** Deno names a refused permission `NotCapable` (2.x) or `PermissionDenied` (1.x). */
function isDenoRefusal(error: unknown): boolean {
  return error instanceof Error && (error.name === "NotCapable" || error.name === "PermissionDenied");
}

/** Reads `name` from `process.env`; throws `CacheConfigError` when Deno refuses to let it be read. */
function fromEnvironment(name: string): string | undefined {
  const env = environment();
  let value: unknown;
  try {
    value = env?.[name];
  } catch (error) {
    if (!isDenoRefusal(error)) throw error;
    throw new CacheConfigError(
      errorMessage(
        "upstash",
        `Deno may not read ${name} (${errorText(error)})`,
        `run deno with --allow-env=${URL_ENV},${TOKEN_ENV} (only these two are read), or pass url and token`,
      ),
      { cause: error },
    );
  }
  return typeof value === "string" && value !== "" ? value : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error for a URL and/or token neither given nor in the environment. */
function missing(url: boolean, token: boolean): CacheConfigError {
  if (environment() === undefined) {
    const what = url && token ? "no REST URL and no REST token" : url ? "no REST URL" : "no REST token";
    return configError(
      `${what} given, and there is no process.env here (a browser) to read ${URL_ENV} and ${TOKEN_ENV} from`,
      "pass url and token (upstash://?url=…&token=…, or upstashBackend({ url, token })); a page shows them to " +
        "everyone who opens it, so never put the database's write token in a public page: give it a read-only token",
    );
  }
  if (url && token) {
    return configError(
      "no REST URL and no REST token given",
      `pass url and token (upstash://?url=…&token=…) or set ${URL_ENV} and ${TOKEN_ENV}`,
    );
  }
  return url
    ? configError(
        "no REST URL given",
        `pass url (upstash://?url=https://….upstash.io&token=…) or set ${URL_ENV}`,
      )
    : configError("no REST token given", `pass token (upstash://?url=…&token=…) or set ${TOKEN_ENV}`);
}

function configError(problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage("upstash", problem, remedy));
}

function whole(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(
      `\`${name}\` ${String(value)} is not an integer from ${min} to ${max}`,
      `pass for example ${name}: ${min + 1}`,
    );
  }
  return value;
}

/** Applies defaults and the environment; throws `CacheConfigError` naming what is missing or malformed. */
export function resolveUpstashOptions(options: UpstashBackendOptions = {}): ResolvedUpstashOptions {
  const url = options.url ?? fromEnvironment(URL_ENV);
  const token = options.token ?? fromEnvironment(TOKEN_ENV);
  const noUrl = url === undefined || url === "";
  const noToken = token === undefined || token === "";
  if (noUrl || noToken) throw missing(noUrl, noToken);
  if (typeof url !== "string") throw configError("the REST URL must be a string", `pass ${URL_ENV} as text`);
  if (!/^https?:\/\/[^\s/?#]+\S*$/.test(url)) {
    throw configError(
      "the REST URL is not an http(s) URL",
      "copy UPSTASH_REDIS_REST_URL from the Upstash console",
    );
  }
  if (typeof token !== "string")
    throw configError("the REST token must be a string", `pass ${TOKEN_ENV} as text`);
  if (/\s/.test(token)) {
    throw configError(
      "the REST token contains whitespace",
      `copy ${TOKEN_ENV} again; inside a URL encode it with encodeURIComponent (a raw "+" reads as a space)`,
    );
  }
  const namespace = options.namespace ?? "";
  if (typeof namespace !== "string")
    throw configError("`namespace` must be a string", 'pass for example "app1:"');
  return {
    url: url.replace(/\/+$/, ""),
    token,
    namespace,
    retries: whole("retries", options.retries ?? DEFAULT_RETRIES, 0),
    // A timer cannot wait longer: AbortSignal.timeout would abort every request at once.
    requestTimeout: whole(
      "requestTimeout",
      options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
      1,
      MAX_TIMER_MS,
    ),
  };
}

function integerParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!/^\d+$/.test(value))
    throw configError(`URL parameter ${name}=${value} is not an integer`, `write for example ${name}=1`);
  return Number(value);
}

/**
 * Reads `upstash://?url=…&token=…&namespace=…` (or `upstash://host?token=…`, meaning
 * `https://host`); what the URL leaves out comes from the environment.
 */
export function readUpstashUrl(url: URL, params: URLSearchParams): ResolvedUpstashOptions {
  for (const name of params.keys()) {
    if (!(PARAMS as readonly string[]).includes(name)) {
      throw configError(
        `unknown URL parameter "${name}"`,
        `valid parameters are ${PARAMS.join(", ")} and the core's prefix, suppress, timeout, secret, compress`,
      );
    }
  }
  const host = url.host !== "" ? `https://${url.host}` : undefined;
  return resolveUpstashOptions({
    url: params.get("url") ?? host,
    token: params.get("token") ?? undefined,
    namespace: params.get("namespace") ?? undefined,
    retries: integerParam(params, "retries"),
    requestTimeout: integerParam(params, "requestTimeout"),
  });
}

/** Native TTL, atomic counters and locks (Lua, `SET NX/XX`), strong consistency, keys up to 32 KiB. */
export function upstashCapabilities(options: ResolvedUpstashOptions): BackendCapabilities {
  return {
    nativeTtl: true,
    minTtlMs: 0,
    maxKeyBytes: UPSTASH_MAX_KEY_BYTES - new TextEncoder().encode(options.namespace).length,
    atomic: true,
    consistency: "strong",
    // Each call is an HTTP request; two in flight at once may reach the server in either order.
    ordered: false,
  };
}
