// The `file://` URL scheme, kept apart from ./fs so the runtime entries check the URL at `setup`
// and load the backend (and `node:fs`) only on the first command.
import type { Clock } from "../core/clock";
import { CacheConfigError, errorMessage } from "../core/errors";
import { lazyScheme } from "../core/lazy";
import type { SchemeFactory } from "../core/setup";
import { readPositiveInt, rejectUnknownParams } from "../core/setup";
import type { BackendCapabilities } from "../core/types";
import type { FsBackendOptions } from "./fs";

/** What the fs backend does natively: TTLs kept in each file, lock files make writes atomic across processes. */
export const FS_CAPABILITIES: BackendCapabilities = Object.freeze({
  nativeTtl: true,
  minTtlMs: 0,
  maxKeyBytes: 0,
  atomic: true,
  consistency: "strong",
});

/** Reads `file:///absolute/dir?staleLockMs=5000` into fs backend options; throws `CacheConfigError`. */
export function fsOptionsFromUrl(url: URL, params: URLSearchParams): Omit<FsBackendOptions, "clock"> {
  if (url.host !== "" && url.host !== "localhost") {
    throw new CacheConfigError(
      errorMessage(
        "fs",
        `file://${url.host}/… names the host "${url.host}" (a relative path?)`,
        "write an absolute directory with three slashes, such as file:///var/tmp/app-cache",
      ),
    );
  }
  let dir: string;
  try {
    dir = decodeURIComponent(url.pathname);
  } catch (cause) {
    throw new CacheConfigError(
      errorMessage("fs", "the file:// path is not valid percent-encoding", "escape % as %25"),
      {
        cause,
      },
    );
  }
  if (dir === "" || isRootPath(dir) || dir.includes("\0")) {
    throw new CacheConfigError(
      errorMessage(
        "fs",
        `"${dir}" cannot hold a cache`,
        "name a directory of its own, such as file:///var/tmp/app-cache",
      ),
    );
  }
  const staleLockMs = readPositiveInt(params, "staleLockMs", 5_000, "fs");
  rejectUnknownParams(params, ["staleLockMs"], "fs");
  return { dir, staleLockMs };
}

/**
 * True when the absolute POSIX path `path` names the filesystem root once `.`, `..` and repeated
 * slashes are resolved (`/`, `//`, `/tmp/..`). Lexical only: the backend also checks the real path.
 */
export function isRootPath(path: string): boolean {
  if (!path.startsWith("/")) return false;
  let depth = 0;
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    depth = segment === ".." ? Math.max(0, depth - 1) : depth + 1;
  }
  return depth === 0;
}

/** `file:///dir` for the runtime entries of Node, Bun and Deno. */
export const fileScheme: SchemeFactory = lazyScheme(
  "fs",
  fsOptionsFromUrl,
  () => FS_CAPABILITIES,
  async () => {
    const { fsBackend } = await import("./fs");
    return (options, env: { clock: Clock }) => fsBackend({ ...options, clock: env.clock });
  },
);
