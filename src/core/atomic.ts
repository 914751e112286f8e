// The optional atomic methods of a backend (sliding windows, sets, compare-and-set), and how the core reaches them
// through a route. A backend either has them (Redis over TCP and HTTP: one Lua script each) or
// not, and then the strategy or feature keeps its own read-modify-write emulation.
import { SUPPRESSED, Suppressed } from "./backend-guard";
import type { Clock } from "./clock";
import { decodeValue, MISS } from "./records";
import type { Route } from "./route";
import type { Backend, SlidingWindowHit, TagInvalidation } from "./types";

/** Returned by the helpers below when the backend serving the key lacks the method. */
export const NOT_NATIVE: unique symbol = Symbol("isocache.not-native");
export type NotNative = typeof NOT_NATIVE;

type AtomicMethods = Pick<
  Backend,
  | "slideWindow"
  | "addMembers"
  | "removeMembers"
  | "members"
  | "invalidateTag"
  | "setIndexed"
  | "lockUnlessStored"
  | "replace"
>;

/**
 * Gives `target` (a lazy or tiered backend) the optional atomic methods `source` has, calling
 * through to it, and removes those it lacks; both wrappers run it once their real backend is known.
 */
export function forwardAtomic(target: AtomicMethods, source: Backend): void {
  const {
    slideWindow,
    addMembers,
    removeMembers,
    members,
    invalidateTag,
    setIndexed,
    lockUnlessStored,
    replace,
  } = source;
  target.slideWindow =
    slideWindow === undefined
      ? undefined
      : (key, nowMs, windowMs, limit) => slideWindow.call(source, key, nowMs, windowMs, limit);
  const sets = addMembers !== undefined && removeMembers !== undefined && members !== undefined;
  target.addMembers = sets ? (key, list, ttl) => addMembers.call(source, key, list, ttl) : undefined;
  target.removeMembers = sets ? (key, list) => removeMembers.call(source, key, list) : undefined;
  target.members = sets ? (key) => members.call(source, key) : undefined;
  target.invalidateTag =
    sets && invalidateTag !== undefined ? (key, tag) => invalidateTag.call(source, key, tag) : undefined;
  target.setIndexed =
    sets && setIndexed !== undefined
      ? (key, value, options, indexKeys, indexTtl) =>
          setIndexed.call(source, key, value, options, indexKeys, indexTtl)
      : undefined;
  target.lockUnlessStored =
    lockUnlessStored === undefined
      ? undefined
      : (lockKey, key, token, ttl) => lockUnlessStored.call(source, lockKey, key, token, ttl);
  target.replace =
    replace === undefined
      ? undefined
      : (key, expected, value, ttl) => replace.call(source, key, expected, value, ttl);
}

/**
 * One sliding-window admission on the backend of `route`; a disabled route admits the call, as
 * the emulation does, and a failure `suppress` reported comes back as the `Suppressed` it was
 * (a limit must not admit calls it cannot count).
 */
export async function slideWindowOn(
  route: Route,
  key: string,
  nowMs: number,
  windowMs: number,
  limit: number,
): Promise<SlidingWindowHit | NotNative | Suppressed> {
  const hit = await route.call<SlidingWindowHit | NotNative | typeof SUPPRESSED | Suppressed>(
    "slideWindow",
    key,
    SUPPRESSED,
    (backend) =>
      backend.slideWindow === undefined
        ? Promise.resolve(NOT_NATIVE)
        : backend.slideWindow(key, nowMs, windowMs, limit),
  );
  return hit === SUPPRESSED ? { allowed: true, count: 0, oldestMs: nowMs } : hit;
}

/**
 * The value under `key` on `route` (`MISS` when absent or unreadable), or the `Suppressed` a
 * failing read became: for state a guard must not take as empty when it could not be read.
 */
export async function readStrict(route: Route, clock: Clock, key: string): Promise<unknown> {
  const text = await route.call<string | undefined | typeof SUPPRESSED | Suppressed>(
    "get",
    key,
    SUPPRESSED,
    (backend) => backend.get(key),
  );
  if (text instanceof Suppressed) return text;
  return text === undefined || text === SUPPRESSED ? MISS : decodeValue(route, clock, key, text);
}

/** True when the backend (once initialised) offers the three set methods. */
function hasSets(backend: Backend): boolean {
  return (
    backend.addMembers !== undefined && backend.removeMembers !== undefined && backend.members !== undefined
  );
}

/** Adds `members` to the set under `key` on the backend of `route` (see `Backend.addMembers`). */
export function addMembersOn(
  route: Route,
  key: string,
  members: readonly string[],
  ttl: number | undefined,
): Promise<undefined | NotNative> {
  return route.call<undefined | NotNative>("addMembers", key, undefined, async (backend) => {
    if (backend.addMembers === undefined || !hasSets(backend)) return NOT_NATIVE;
    await backend.addMembers(key, members, ttl);
    return undefined;
  });
}

/** The members of the set under `key` on the backend of `route`; `[]` on a suppressed failure. */
export function membersOn(route: Route, key: string): Promise<string[] | NotNative> {
  return route.call<string[] | NotNative>("members", key, [], (backend) =>
    backend.members !== undefined && hasSets(backend) ? backend.members(key) : Promise.resolve(NOT_NATIVE),
  );
}

/** Removes `members` from the set under `key` on the backend of `route`; returns how many were members. */
export function removeMembersOn(route: Route, key: string, members: readonly string[]): Promise<number> {
  return route.call("removeMembers", key, 0, (backend) =>
    backend.removeMembers !== undefined && hasSets(backend)
      ? backend.removeMembers(key, members)
      : Promise.resolve(0),
  );
}

/**
 * Deletes what `tag` lists under `indexKey` in one atomic backend call (see
 * `Backend.invalidateTag`); a suppressed failure deletes nothing, as the emulation's empty read does.
 */
export function invalidateTagOn(
  route: Route,
  indexKey: string,
  tag: string,
): Promise<TagInvalidation | NotNative> {
  const nothing: TagInvalidation = { deleted: [], absent: [] };
  return route.call<TagInvalidation | NotNative>("deleteTags", indexKey, nothing, (backend) =>
    backend.invalidateTag !== undefined && hasSets(backend)
      ? backend.invalidateTag(indexKey, tag)
      : Promise.resolve(NOT_NATIVE),
  );
}
