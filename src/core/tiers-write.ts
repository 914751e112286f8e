// The writes of a tiered backend that reach more than one tier: a set over every tier (plain
// or conditional), a back-fill of a value read from below, and a call on every tier above the
// authority. Like the tiered read path, they chain promises by hand (see `TieredBackend.get`).
import type { BackfillGuard } from "./tiers-guard";
import type { Backend, BackendSetOptions, ValueWithExpire } from "./types";

/** The authority's part of a set: a plain or an indexed set with the options it is given. */
type LastWrite = (options: BackendSetOptions) => Promise<boolean>;

/** `set` over every tier of `tiers`, the authority's part done by `toLast`; `guard` notes it while it runs. */
export function writeTiers(
  tiers: readonly Backend[],
  guard: BackfillGuard,
  key: string,
  value: string,
  options: BackendSetOptions | undefined,
  toLast: LastWrite,
): Promise<boolean> {
  guard.begin(key);
  let pending: Promise<boolean>;
  try {
    pending =
      options?.exist === undefined
        ? writeAll(tiers, key, value, options, toLast)
        : writeIf(tiers, guard, key, value, options, toLast);
  } catch (error) {
    pending = Promise.reject(error);
  }
  return pending.then(
    (stored) => {
      guard.end(key);
      return stored;
    },
    (error: unknown) =>
      // A local copy of a write the authority did not take would outlive it: drop it.
      eachAbove(tiers, (tier) => tier.delete(key))
        .catch(() => undefined)
        .then(() => {
          guard.end(key);
          throw error;
        }),
  );
}

/**
 * A plain write: every tier at once; the authority's answer is the result. All of them settle
 * before it is given: a copy still on its way above when the authority fails would land after
 * the failure's drop of it, and outlive the write that never happened.
 */
function writeAll(
  tiers: readonly Backend[],
  key: string,
  value: string,
  options: BackendSetOptions | undefined,
  toLast: LastWrite,
): Promise<boolean> {
  const writes: Promise<boolean>[] = [];
  for (let at = 0; at < tiers.length - 1; at++)
    writes.push(attempt(() => (tiers[at] as Backend).set(key, value, options)));
  writes.push(attempt(() => toLast(options ?? {})));
  return Promise.allSettled(writes).then((results) => {
    const last = results[results.length - 1] as PromiseSettledResult<boolean>;
    // The authority's failure first: it is what the caller must hear about.
    if (last.status === "rejected") throw last.reason;
    for (const result of results) if (result.status === "rejected") throw result.reason;
    return last.value === true;
  });
}

/** `fn()`, with a synchronous throw turned into a rejection, so a sibling write is still awaited. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A conditional write: the authority decides and the tiers above follow; if another write of
 * the key came meanwhile, which of the two the authority kept is not known here, so the copies
 * above are dropped instead (a delete called after this set must not be undone above).
 */
function writeIf(
  tiers: readonly Backend[],
  guard: BackfillGuard,
  key: string,
  value: string,
  options: BackendSetOptions,
  toLast: LastWrite,
): Promise<boolean> {
  return guard.tracked(key, async (stale) => {
    const stored = await toLast(options);
    if (stored)
      await eachAbove(tiers, (tier) =>
        stale() ? tier.delete(key) : tier.set(key, value, { ttl: options.ttl }),
      );
    return stored;
  });
}

/**
 * Copies `found`, read from `tiers[upTo]`, into the tiers above it with the TTL it has left. A
 * copy is best effort: a tier that cannot take it (full, read-only, its disk failing) has the key
 * dropped instead, and the read still answers with `found` rather than failing for it.
 */
export async function backfill(
  tiers: readonly Backend[],
  key: string,
  found: ValueWithExpire,
  upTo: number,
): Promise<void> {
  const ttl = found.ttl === -1 ? undefined : Math.max(1, found.ttl);
  const above = tiers.slice(0, upTo);
  const copies = await Promise.allSettled(above.map((tier) => tier.set(key, found.value, { ttl })));
  await Promise.all(
    copies.map((copy, index) =>
      copy.status === "rejected" ? (above[index] as Backend).delete(key).catch(() => false) : undefined,
    ),
  );
}

/** Runs `fn` on every tier above the last one (the authority), at once. */
export async function eachAbove(
  tiers: readonly Backend[],
  fn: (tier: Backend) => Promise<unknown>,
): Promise<void> {
  await Promise.all(tiers.slice(0, -1).map(fn));
}
