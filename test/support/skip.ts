// Test-side view of the system packages: skip a group when its Debian package is missing, except
// in CI, where the group runs (and fails) so a missing package can never pass silently.
// test/run-all.mjs prints the one line saying what is missing and how to install it.
import { hasSystemPackage, isCI, type SystemPackage } from "./system.mjs";

export { isCI };

/**
 * True when tests needing `pkg` should be skipped: it is missing and we are not in CI.
 * @example describe.skipIf(skipWithout("redis-server"))("redis backend", () => { ... })
 */
export function skipWithout(pkg: SystemPackage): boolean {
  return !isCI && !hasSystemPackage(pkg);
}

/** Redis-backed tests (redis backend, Upstash gateway) skip when `redis-server` is missing outside CI. */
export const skipWithoutRedis: boolean = skipWithout("redis-server");
