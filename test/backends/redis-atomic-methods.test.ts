// The optional atomic methods (`slideWindow`, `addMembers`, `removeMembers`, `members`) of both
// Redis transports, called on the backends themselves against the real server: window bounds,
// TTLs, unique members for calls in one millisecond, values of another type, members whose key
// is gone dropped by the next addition; then what `deleteTags` does with a key tagged while it
// runs.
import { afterAll, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { redisBackend } from "../../src/backends/redis";
import { upstashBackend } from "../../src/backends/upstash";
import type { Backend } from "../../src/core/types";
import { skipWithoutRedis } from "../support/skip";
import { dropPrefixes, freshPrefix } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const prefixes: string[] = [];
const opened: Backend[] = [];

type Atomic = Required<Pick<Backend, "slideWindow" | "addMembers" | "removeMembers" | "members">> & Backend;

/** Builds a backend on the key prefix (namespace) `prefix`; two calls with one prefix share keys. */
const makers: [string, (prefix: string) => Atomic][] = [
  ["redis", (keyPrefix) => redisBackend({ url: redisUrl, keyPrefix }) as Atomic],
  ["upstash", (namespace) => upstashBackend({ ...address, namespace }) as Atomic],
];

async function open(
  make: (prefix: string) => Atomic,
  prefix = freshPrefix("atomic-methods"),
): Promise<Atomic> {
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  const backend = make(prefix);
  opened.push(backend);
  await backend.init?.();
  return backend;
}

describe.skipIf(skipWithoutRedis)("atomic backend methods", () => {
  afterAll(async () => {
    await Promise.all(opened.map((backend) => backend.close?.()));
    await dropPrefixes(redisUrl, prefixes);
  });

  for (const [name, make] of makers) {
    it(`${name}: slideWindow admits up to the limit, drops times at or before now - window, keeps the key one window`, async () => {
      const backend = await open(make);
      const hit = (now: number) => backend.slideWindow("w", now, 1000, 3);
      expect(await hit(10_000)).toEqual({ allowed: true, count: 1, oldestMs: 10_000 });
      expect(await hit(10_400)).toEqual({ allowed: true, count: 2, oldestMs: 10_000 });
      expect(await hit(10_400)).toEqual({ allowed: true, count: 3, oldestMs: 10_000 });
      expect(await hit(10_999)).toEqual({ allowed: false, count: 3, oldestMs: 10_000 });
      // At 11_000 the call of 10_000 has left (the window is (now - 1000, now]).
      const sent = Date.now();
      expect(await hit(11_000)).toEqual({ allowed: true, count: 3, oldestMs: 10_400 });
      const left = await backend.getExpire("w");
      // The key lives one window from the last call: what has passed since it was sent is gone
      // (a loaded machine can take 100 ms over HTTP), and never more than the window.
      expect(left).toBeGreaterThanOrEqual(1000 - (Date.now() - sent) - 2);
      expect(left).toBeLessThanOrEqual(1000);
    });

    it(`${name}: calls in the same millisecond from two connections count twice; a value of another type is replaced`, async () => {
      const prefix = freshPrefix("atomic-same-ms");
      const [one, two] = [await open(make, prefix), await open(make, prefix)];
      await one.set("legacy", "a list record an emulating process wrote");
      expect(await one.slideWindow("legacy", 5, 60_000, 10)).toEqual({
        allowed: true,
        count: 1,
        oldestMs: 5,
      });
      expect(await two.slideWindow("legacy", 5, 60_000, 10)).toEqual({
        allowed: true,
        count: 2,
        oldestMs: 5,
      });
      expect(await one.slideWindow("legacy", 5, 60_000, 2)).toEqual({
        allowed: false,
        count: 2,
        oldestMs: 5,
      });
    });

    it(`${name}: addMembers stretches the TTL to the longest asked, never shortens it, and drops it without one`, async () => {
      const backend = await open(make);
      // Members name keys of the backend: an addition drops those whose key is gone.
      await backend.setMany?.(["a", "b", "c", "d", "e"].map((key) => [key, "v"]));
      await backend.addMembers("s", ["a", "b"], 5_000);
      const first = await backend.getExpire("s");
      expect(first).toBeGreaterThan(4_000);
      expect(first).toBeLessThanOrEqual(5_000);
      await backend.addMembers("s", ["c"], 1_000);
      expect(await backend.getExpire("s")).toBeGreaterThan(4_000);
      await backend.addMembers("s", ["a"], 60_000);
      expect(await backend.getExpire("s")).toBeGreaterThan(50_000);
      await backend.addMembers("s", ["d"]);
      expect(await backend.getExpire("s")).toBe(-1);
      await backend.addMembers("s", ["e"], 1_000);
      expect(await backend.getExpire("s")).toBe(-1);
      expect((await backend.members("s")).sort()).toEqual(["a", "b", "c", "d", "e"]);
    });

    it(`${name}: an addition drops the members whose key is gone and keeps the others`, async () => {
      const backend = await open(make);
      await backend.setMany?.([
        ["live:1", "v"],
        ["live:2", "v"],
      ]);
      await backend.set("short", "v", { ttl: 20 });
      await backend.addMembers("s", ["live:1", "live:2", "short", "never"], 60_000);
      expect((await backend.members("s")).sort()).toEqual(["live:1", "live:2", "never", "short"]);
      await new Promise((resolve) => setTimeout(resolve, 40));
      await backend.delete("live:2");
      await backend.set("new", "v");
      await backend.addMembers("s", ["new"], 1_000);
      // A set this small is checked whole: only members with a key are left.
      expect((await backend.members("s")).sort()).toEqual(["live:1", "new"]);
      expect(await backend.getExpire("s")).toBeGreaterThan(50_000);
    });

    it(`${name}: removeMembers counts what it removed and deletes an emptied set; members of nothing is []`, async () => {
      const backend = await open(make);
      const many = Array.from({ length: 1_200 }, (_, at) => `k${at}`); // more than one Lua unpack chunk
      await backend.addMembers("big", many, 60_000);
      expect(await backend.members("big")).toHaveLength(1_200);
      expect(await backend.removeMembers("big", [...many.slice(0, 1_100), "absent"])).toBe(1_100);
      expect(await backend.removeMembers("big", many.slice(1_100))).toBe(100);
      expect(await backend.exists("big")).toBe(false);
      expect(await backend.members("big")).toEqual([]);
      await backend.set("text", "plain");
      expect(await backend.members("text")).toEqual([]);
      expect(await backend.removeMembers("text", ["plain"])).toBe(0);
      expect(await backend.get("text")).toBe("plain");
    });
  }

  it("deleteTags keeps a key another connection tags while it runs, and deletes it the next time", async () => {
    const url = `${redisUrl}${redisUrl.includes("?") ? "&" : "?"}keyPrefix=${encodeURIComponent(freshPrefix("atomic-tags"))}`;
    prefixes.push(new URL(url).searchParams.get("keyPrefix") as string);
    const other = new lib.Cache().setup(url);
    let injected = false;
    const cache = new lib.Cache().setup(url, {
      middlewares: [
        async (call, next) => {
          // deleteTags reads each listed key's record between listing the index and trimming it.
          if (call.command === "getRaw" && !injected) {
            injected = true;
            await other.set("late", 2, { tags: ["t"] });
          }
          return next();
        },
      ],
    });
    try {
      await cache.set("early", 1, { tags: ["t"] });
      expect(await cache.deleteTags("t")).toBe(1);
      expect(injected).toBe(true);
      expect(await cache.get("late")).toBe(2);
      expect(await cache.deleteTags("t")).toBe(1);
      expect(await cache.get("late")).toBeUndefined();
    } finally {
      await Promise.all([cache.close(), other.close()]);
    }
  });
});
