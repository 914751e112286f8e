// How `setup` reaches the Workers KV backend: the `kv://BINDING` URL scheme and the
// `{ kv: env.CACHE }` object form. The workerd entry wires both; other entries can register them.
import { CacheConfigError, errorMessage } from "../core/errors";
import type { BackendScheme } from "../core/lazy";
import type { ObjectAdapter } from "../core/setup";
import { type CloudflareKvBackendOptions, cloudflareKvBackend } from "./cloudflare-kv";
import { isKvNamespace } from "./cloudflare-kv-namespace";

const KNOWN_PARAMS = ["base"];
// Mirrors the core's own URL options, named in the error for a parameter nobody reads.
const CORE_PARAMS = "prefix, enable, suppress, timeout, secret, compress, clientSide";

/**
 * The `kv://BINDING?base=…` scheme: `BINDING` names a KV namespace binding of the Worker, found
 * in `env` from `cloudflare:workers` on the first command (so setup at module top level is fine).
 * @example
 * registerScheme(cloudflareKv); // only needed outside the workerd entry, which serves kv:// itself
 * cache.setup("kv://CACHE");
 */
export const cloudflareKv: BackendScheme<CloudflareKvBackendOptions> = {
  scheme: "kv",
  fromUrl(url, params) {
    const binding = decodeURIComponent(url.hostname);
    if (binding.length === 0 || (url.pathname !== "" && url.pathname !== "/")) {
      throw urlError(`"kv:${url.host ? `//${url.host}` : ""}${url.pathname}" does not name one binding`);
    }
    for (const name of params.keys()) {
      if (!KNOWN_PARAMS.includes(name)) {
        throw new CacheConfigError(
          errorMessage(
            "cloudflare-kv",
            `unknown URL parameter "${name}"`,
            `valid parameters are ${CORE_PARAMS}, ${KNOWN_PARAMS.join(", ")}`,
          ),
        );
      }
    }
    return { binding, base: params.get("base") ?? "" };
  },
  // Building the backend opens nothing, so its flags are read off a fresh one.
  capabilities: (options) => cloudflareKvBackend(options).capabilities,
  create: (options, env) => cloudflareKvBackend({ ...options, clock: env.clock }),
};

/**
 * Turns `setup({ kv: env.CACHE })` (optionally with `base: "app:"`) into a Workers KV backend;
 * any other object is left to the next adapter.
 */
export const cloudflareKvAdapter: ObjectAdapter = (target, env) => {
  if (!("kv" in target)) return undefined;
  const { kv, base } = target as { kv: unknown; base?: unknown };
  if (!isKvNamespace(kv)) {
    throw new CacheConfigError(
      errorMessage(
        "cloudflare-kv",
        "setup({ kv }) got something that is not a Workers KV namespace binding",
        "pass the binding object from the Worker's env, such as setup({ kv: env.CACHE })",
      ),
    );
  }
  if (base !== undefined && typeof base !== "string") {
    throw new CacheConfigError(
      errorMessage("cloudflare-kv", "`base` must be a string", 'pass for example base: "app:"'),
    );
  }
  return cloudflareKvBackend({ namespace: kv, base, clock: env.clock });
};

function urlError(problem: string): CacheConfigError {
  return new CacheConfigError(
    errorMessage("cloudflare-kv", problem, 'write kv:// and the binding name, such as "kv://CACHE"'),
  );
}
