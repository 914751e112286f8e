import { expectCacheError, type Harness, inTime, rejection, shortTtl, sleep, timed } from "./basic-harness";
import type { CacheLike } from "./types";

/** A promise with its resolve function, to hold a lock open until the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** SPEC 4 rows: setLock / unlock / isLocked and lock. */
export function lockTests(h: Harness): void {
  const { t } = h;

  t.describe("setLock / unlock / isLocked", () => {
    t.it("setLock takes a free lock; another token is refused while it is held", async () => {
      const c = await h.open();
      t.expect(await c.setLock("job", "t1", "10s")).toBe(true);
      t.expect(await c.setLock("job", "t2", "10s")).toBe(false);
      t.expect(await c.setLock("job", "t1", "10s")).toBe(false);
      t.expect(await c.setLock("other", "t2", 10_000)).toBe(true);
    });

    t.it("unlock releases only with the right token", async () => {
      const c = await h.open();
      await c.setLock("job", "t1", "10s");
      t.expect(await c.unlock("job", "wrong")).toBe(false);
      t.expect(await c.isLocked("job")).toBe(true);
      t.expect(await c.unlock("job", "t1")).toBe(true);
      t.expect(await c.isLocked("job")).toBe(false);
      t.expect(await c.unlock("job", "t1")).toBe(false);
      t.expect(await c.setLock("job", "t2", "10s")).toBe(true);
    });

    t.it("isLocked is false for a free key and true for a held one", async () => {
      const c = await h.open();
      t.expect(await c.isLocked("job")).toBe(false);
      await c.setLock("job", "t1", "10s");
      t.expect(await c.isLocked("job")).toBe(true);
    });

    t.it("locks are shared by caches on the same storage", async () => {
      const store = await h.store();
      const a = h.attach(store);
      const b = h.attach(store);
      t.expect(await a.setLock("job", "t1", "10s")).toBe(true);
      t.expect(await b.setLock("job", "t2", "10s")).toBe(false);
      t.expect(await b.isLocked("job")).toBe(true);
      t.expect(await b.unlock("job", "t1")).toBe(true);
      t.expect(await a.isLocked("job")).toBe(false);
    });

    t.it("isLocked with wait returns false soon after the lock is released", async () => {
      const c = await h.open();
      await c.setLock("job", "t1", "10s");
      const release = sleep(100).then(() => c.unlock("job", "t1"));
      const [locked, ms] = await timed(() => c.isLocked("job", { wait: "3s", step: "20ms" }));
      t.expect(await release).toBe(true);
      t.expect(locked).toBe(false);
      t.expect(ms).toBeGreaterThanOrEqual(50);
      t.expect(ms).toBeLessThan(2_000);
    });

    t.it("isLocked with wait returns true when the lock is still held after the wait", async () => {
      const c = await h.open();
      await c.setLock("job", "t1", "10s");
      const [locked, ms] = await timed(() => c.isLocked("job", { wait: 150, step: 30 }));
      t.expect(locked).toBe(true);
      t.expect(ms).toBeGreaterThanOrEqual(100);
      t.expect(ms).toBeLessThan(2_000);
    });

    t.it("isLocked with wait on a free key returns false without waiting it out", async () => {
      const c = await h.open();
      const [locked, ms] = await timed(() => c.isLocked("job", { wait: "3s", step: "20ms" }));
      t.expect(locked).toBe(false);
      t.expect(ms).toBeLessThan(1_000);
    });

    t.it("a lock ends with its TTL (real time)", async () => {
      const c = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      // The held-lock check counts only when it came back within the TTL (see `inTime`).
      await inTime("lock TTL", async (n, deadline) => {
        const job = `job${n}`;
        const life = deadline(ttlMs);
        const taken = await c.setLock(job, "t1", `${ttlMs}ms`);
        const held = await c.isLocked(job);
        life.check();
        t.expect([taken, held]).toEqual([true, true]);
        await sleep(afterMs);
        t.expect(await c.isLocked(job)).toBe(false);
        t.expect(await c.setLock(job, "t2", "10s")).toBe(true);
      });
    });
  });

  t.describe("lock", () => {
    t.it("runs fn holding the lock, returns its result and releases the lock", async () => {
      const c = await h.open();
      let heldInside: unknown;
      const result = await c.lock("job", { ttl: "5s" }, async () => {
        heldInside = await c.isLocked("job");
        return { done: true };
      });
      t.expect(result).toEqual({ done: true });
      t.expect(heldInside).toBe(true);
      t.expect(await c.isLocked("job")).toBe(false);
      t.expect(await c.lock("job", { ttl: "5s", wait: false }, () => "sync result")).toBe("sync result");
    });

    t.it("concurrent lock calls on one key never overlap, across caches sharing the storage", async () => {
      const store = await h.store();
      const a = h.attach(store);
      const b = h.attach(store);
      let active = 0;
      let maxActive = 0;
      const job = (cache: CacheLike, id: number) =>
        cache.lock("job", { ttl: "5s", wait: "4s" }, async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(40);
          active--;
          return id;
        });
      t.expect(await Promise.all([job(a, 1), job(b, 2), job(a, 3)])).toEqual([1, 2, 3]);
      t.expect(maxActive).toBe(1);
      t.expect(await a.isLocked("job")).toBe(false);
    });

    t.it("wait: false throws LockedError while the key is held, without calling fn", async () => {
      const c = await h.open();
      const inside = gate();
      const release = gate();
      const holder = c.lock("job", { ttl: "5s" }, async () => {
        inside.open();
        await release.promise;
        return "holder";
      });
      await inside.promise;
      let called = false;
      let error: unknown;
      try {
        error = await rejection(() =>
          c.lock("job", { ttl: "5s", wait: false }, () => {
            called = true;
          }),
        );
      } finally {
        release.open();
      }
      t.expect(await holder).toBe("holder");
      expectCacheError(h, error, h.lib.LockedError);
      t.expect(called).toBe(false);
      t.expect(await c.lock("job", { ttl: "5s", wait: false }, () => "free again")).toBe("free again");
    });

    t.it("wait: false throws LockedError when another cache holds the key through setLock", async () => {
      const store = await h.store();
      const a = h.attach(store);
      const b = h.attach(store);
      await b.setLock("job", "b-token", "10s");
      expectCacheError(
        h,
        await rejection(() => a.lock("job", { ttl: "5s", wait: false }, () => 1)),
        h.lib.LockedError,
      );
      t.expect(await b.unlock("job", "b-token")).toBe(true);
    });

    t.it("releases the lock when fn throws, and rethrows fn's error", async () => {
      const c = await h.open();
      const boom = new Error("fn failed");
      const error = await rejection(() =>
        c.lock("job", { ttl: "5s", wait: false }, async () => {
          throw boom;
        }),
      );
      t.expect(error).toBe(boom);
      t.expect(await c.isLocked("job")).toBe(false);
      const syncError = await rejection(() =>
        c.lock("job", { ttl: "5s", wait: false }, () => {
          throw new RangeError("sync failure");
        }),
      );
      t.expect(syncError).toBeInstanceOf(RangeError);
      t.expect(await c.isLocked("job")).toBe(false);
    });
  });
}
