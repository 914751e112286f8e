// isocache's side of each workload, through the built package ("isocache" resolves to dist/ by
// the package's own exports). Backends that this build does not have are reported, not faked.
const HOUR = "1h";

/** What a row says when this build lacks the backend or middleware it needs. */
export const MISSING = "isocache: backend not available in this build";

/** The package, loaded once. */
export async function isocache() {
  return import("isocache");
}

/** A cached() get-or-load over the memory backend; `copy: false` is reference mode. */
export async function isoMemory({ copy = true } = {}) {
  const { Cache } = await isocache();
  const cache = new Cache().setup("mem://?size=200000", { copy });
  return wrap(cache, {});
}

/**
 * A cached() get-or-load over Redis alone or memory + Redis tiers, or `{ missing }` when this
 * build cannot serve redis:// (the backend has not landed).
 */
export async function isoRedis(redisUrl, { tiered = false, lock = false } = {}) {
  const { Cache } = await isocache();
  const cache = new Cache();
  try {
    cache.setup(tiered ? ["mem://?size=200000", redisUrl] : redisUrl, { suppress: false });
    await cache.ping();
  } catch (error) {
    return { missing: MISSING, why: firstLine(error) };
  }
  return wrap(cache, { lock });
}

/** An upstash:// cache through the gateway, or `{ missing }`. */
export async function isoUpstash(url, token) {
  const lib = await isocache();
  try {
    const mod = await import("isocache/backends/upstash").catch(() => undefined);
    if (mod?.upstash !== undefined) lib.registerScheme(mod.upstash);
    const cache = new lib.Cache().setup(`upstash://?url=${encodeURIComponent(url)}&token=${token}`, {
      suppress: false,
    });
    await cache.ping();
    return { cache };
  } catch (error) {
    return { missing: MISSING, why: firstLine(error) };
  }
}

function wrap(cache, { lock = false }) {
  let current;
  const fn = cache.cached({ ttl: HOUR, key: "{0}", lock })(async function load(key) {
    return current(key);
  });
  return {
    cache,
    getOrLoad(key, loader) {
      current = loader;
      return fn(key);
    },
    close: () => cache.close(),
  };
}

/** The first line of an error's message, without secrets. */
export function firstLine(error) {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split("\n")[0]
    .replace(/token=[^&\s]*/g, "token=***")
    .slice(0, 160);
}
