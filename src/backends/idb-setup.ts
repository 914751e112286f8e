// The `idb://DB/STORE` URL scheme, for `registerScheme` on the browser entry (which never loads
// idb-keyval on its own, so a bundle carries it only when the program imports this subpath).
import { CacheConfigError, errorMessage } from "../core/errors";
import type { BackendScheme } from "../core/lazy";
import { IdbBackend, type IdbBackendOptions } from "./idb";

/**
 * The `idb://DB/STORE?openTimeout=ms` scheme, for `registerScheme`: bundled browser code loads
 * idb-keyval only when the program imports this module.
 * @example
 * import { idb } from "isocache/backends/idb";
 * registerScheme(idb);
 * cache.setup("idb://my-db/my-store");
 */
export const idb: BackendScheme<IdbBackendOptions> = {
  scheme: "idb",
  fromUrl(url, params) {
    const path = url.pathname.replace(/^\//, "");
    if (path.includes("/")) {
      throw urlError(`"${url.pathname}" names more than one object store`);
    }
    const options: IdbBackendOptions = {};
    if (url.hostname !== "") options.db = decode(url.hostname);
    if (path !== "") options.store = decode(path);
    for (const [name, value] of params) {
      if (name !== "openTimeout") {
        throw urlError(
          `unknown URL parameter "${name}"`,
          "valid parameters are prefix, enable, suppress, timeout, secret, compress, openTimeout",
        );
      }
      if (!/^\d+$/.test(value)) throw urlError(`openTimeout=${value} is not a whole number of milliseconds`);
      options.openTimeout = Number(value);
    }
    new IdbBackend(options); // validates the options; opens nothing
    return options;
  },
  capabilities: (options) => new IdbBackend(options).capabilities,
  create: (options, env) => new IdbBackend({ ...options, clock: env.clock }),
};

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw urlError(`"${text}" is not valid percent-encoding`, undefined, cause);
  }
}

function urlError(problem: string, remedy = 'write for example "idb://my-db/my-store"', cause?: unknown) {
  return new CacheConfigError(
    errorMessage("idb", problem, remedy),
    cause === undefined ? undefined : { cause },
  );
}
