import {
  collect,
  expectCacheError,
  expectMsBetween,
  type Harness,
  inTime,
  MISS,
  rejection,
  scanSorted,
  scenario,
  shortTtl,
  sleep,
} from "./basic-harness";

/** SPEC 4 rows: expire / getExpire and incr; SPEC 3 durations as TTLs; expiry in real time. */
export function expiryTests(h: Harness): void {
  const { t } = h;

  t.describe("expire / getExpire", () => {
    t.it("getExpire is -2 for a missing key and -1 for a key without expiry", async () => {
      const c = await h.open();
      t.expect(await c.getExpire("missing")).toBe(-2);
      await c.set("k", 1);
      t.expect(await c.getExpire("k")).toBe(-1);
    });

    t.it("getExpire returns the milliseconds left of a numeric or textual TTL", async () => {
      const c = await h.open();
      await c.set("number", 1, { ttl: 10_000 });
      await c.set("text", 1, { ttl: "2h5m" });
      expectMsBetween(t, await c.getExpire("number"), 8_000, 10_000);
      expectMsBetween(t, await c.getExpire("text"), 7_490_000, 7_500_000);
    });

    t.it("expire sets a TTL on an existing key and returns true", async () => {
      const c = await h.open();
      await c.set("k", 1);
      t.expect(await c.expire("k", "10s")).toBe(true);
      expectMsBetween(t, await c.getExpire("k"), 8_000, 10_000);
      t.expect(await c.expire("k", 20_000)).toBe(true);
      expectMsBetween(t, await c.getExpire("k"), 18_000, 20_000);
      t.expect(await c.get("k")).toBe(1);
    });

    t.it(
      "expire(key, 0) ends the key now, as Redis's EXPIRE does; ttl: 0 on a write means no expiry",
      async () => {
        const c = await h.open();
        await c.set("k", "v", { ttl: "1h" });
        t.expect(await c.expire("k", 0)).toBe(true);
        t.expect(await c.get("k")).toBeUndefined();
        t.expect(await c.getExpire("k")).toBe(-2);
        await c.set("forever", "v", { ttl: 0 });
        t.expect(await c.getExpire("forever")).toBe(-1);
        t.expect(await c.get("forever")).toBe("v");
      },
    );

    t.it("expire returns false for a missing key and creates nothing", async () => {
      const c = await h.open();
      t.expect(await c.expire("missing", "10s")).toBe(false);
      t.expect(await c.exists("missing")).toBe(false);
      t.expect(await c.getExpire("missing")).toBe(-2);
    });

    t.it("a malformed TTL rejects with CacheConfigError", async () => {
      const c = await h.open();
      expectCacheError(h, await rejection(() => c.set("k", 1, { ttl: "1h30" })), h.lib.CacheConfigError);
      expectCacheError(h, await rejection(() => c.expire("k", "1.5x")), h.lib.CacheConfigError);
      t.expect(await c.exists("k")).toBe(false);
    });
  });

  t.describe("incr", () => {
    t.it("counts a missing key from 0 and adds 1 by default", async () => {
      const c = await h.open();
      t.expect(await c.incr("n")).toBe(1);
      t.expect(await c.incr("n")).toBe(2);
    });

    t.it("adds a positive or negative step and returns the new number", async () => {
      const c = await h.open();
      t.expect(await c.incr("n", 5)).toBe(5);
      t.expect(await c.incr("n", -8)).toBe(-3);
      t.expect(await c.incr("m", -2)).toBe(-2);
    });

    t.it("get reads the counter as a number", async () => {
      const c = await h.open();
      await c.incr("n", 41);
      await c.incr("n");
      t.expect(await c.get("n")).toBe(42);
      t.expect(await c.getMany(["n"])).toEqual([42]);
    });

    t.it("continues from a number stored by set", async () => {
      const c = await h.open();
      await c.set("n", 10);
      t.expect(await c.incr("n", 5)).toBe(15);
      t.expect(await c.get("n")).toBe(15);
    });

    t.it("the TTL applies only when incr creates the key", async () => {
      const c = await h.open();
      t.expect(await c.incr("n", 1, { ttl: "10s" })).toBe(1);
      expectMsBetween(t, await c.getExpire("n"), 8_000, 10_000);
      t.expect(await c.incr("n", 1, { ttl: "1h" })).toBe(2);
      expectMsBetween(t, await c.getExpire("n"), 1, 10_000);
      t.expect(await c.incr("n")).toBe(3);
      expectMsBetween(t, await c.getExpire("n"), 1, 10_000);
      await c.set("existing", 5);
      t.expect(await c.incr("existing", 1, { ttl: "10s" })).toBe(6);
      t.expect(await c.getExpire("existing")).toBe(-1);
    });

    t.it("a non-number value makes incr throw CacheValueError and is kept", async () => {
      const c = await h.open();
      await c.set("text", "abc");
      await c.set("object", { n: 1 });
      expectCacheError(h, await rejection(() => c.incr("text")), h.lib.CacheValueError);
      expectCacheError(h, await rejection(() => c.incr("object", 2)), h.lib.CacheValueError);
      t.expect(await c.get("text")).toBe("abc");
      t.expect(await c.get("object")).toEqual({ n: 1 });
    });

    t.it("a stored NaN or Infinity makes incr throw CacheValueError and is kept", async () => {
      const c = await h.open();
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        await c.set("odd", value);
        for (const by of [1, 0.5]) {
          const error = await rejection(() => c.incr("odd", by));
          expectCacheError(h, error, h.lib.CacheValueError);
          t.expect((error as Error).message).toContain(`found ${String(value)}, not a finite number`);
        }
        t.expect(await c.get("odd")).toBe(value);
      }
    });

    t.it("incr never leaves the safe integer range, signed or not, and keeps the count", async () => {
      const store = await h.store();
      for (const c of [h.attach(store), h.attach(store, { secret: "s1", onError: () => {} })]) {
        const big = Number.MAX_SAFE_INTEGER;
        for (const by of [2 ** 60, -(2 ** 60), Number.NaN, Number.POSITIVE_INFINITY]) {
          expectCacheError(h, await rejection(() => c.incr("fresh", by)), h.lib.CacheArgumentError);
        }
        t.expect(await c.get("fresh", MISS)).toBe(MISS);
        t.expect(await c.incr("n", big - 1)).toBe(big - 1);
        t.expect(await c.incr("n")).toBe(big);
        expectCacheError(h, await rejection(() => c.incr("n")), h.lib.CacheValueError);
        expectCacheError(h, await rejection(() => c.incr("n", 2, { ttl: "1h" })), h.lib.CacheValueError);
        t.expect(await c.get("n")).toBe(big);
        t.expect(await c.incr("n", -big)).toBe(0);
        t.expect(await c.delete("n")).toBe(true);
      }
    });

    t.it("concurrent incr calls on one cache lose no increment", async () => {
      const c = await h.open();
      const results = await Promise.all(Array.from({ length: 20 }, () => c.incr("n")));
      t.expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      t.expect(await c.get("n")).toBe(20);
    });
  });

  // Each check that needs a TTL still running is made only when a `Deadline` opened before the
  // write measured that the steps up to it took less than the TTL; a slower attempt (a loaded
  // machine, an HTTP backend in a browser) is repeated on fresh keys instead of failing.
  t.describe("expiry in real time", () => {
    t.it("values set with a TTL are present at once and gone after it", async () => {
      const c = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      await inTime("TTL values", async (n, deadline) => {
        const [text, number, kept] = [`text${n}`, `number${n}`, `kept${n}`];
        const life = deadline(ttlMs);
        await c.set(text, "v", { ttl: `${ttlMs}ms` });
        await c.set(number, "v", { ttl: ttlMs });
        await c.set(kept, "v");
        const present = await c.getMany([text, number, kept], MISS);
        const exists = await c.exists(text);
        const left = await c.getExpire(number);
        life.check();
        t.expect(present).toEqual(["v", "v", "v"]);
        t.expect(exists).toBe(true);
        expectMsBetween(t, left, 1, ttlMs);
        await sleep(afterMs);
        t.expect(await c.get(text, MISS)).toBe(MISS);
        t.expect(await c.get(number, MISS)).toBe(MISS);
        t.expect(await c.exists(text)).toBe(false);
        t.expect(await c.getExpire(text)).toBe(-2);
        t.expect(await c.getMany([text, number, kept], MISS)).toEqual([MISS, MISS, "v"]);
      });
    });

    t.it("scan, getMatch and deleteMatch leave out a key once its TTL has ended", async () => {
      const c = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      await inTime("scans after a TTL", async (n, deadline) => {
        const pattern = `scan${n}:*`;
        const [gone, kept] = [`scan${n}:gone`, `scan${n}:kept`];
        const life = deadline(ttlMs);
        await c.set(gone, "v", { ttl: ttlMs });
        await c.set(kept, "v");
        const listed = await scanSorted(c, pattern);
        life.check();
        t.expect(listed).toEqual([gone, kept]);
        await sleep(afterMs);
        t.expect(await scanSorted(c, pattern)).toEqual([kept]);
        t.expect(await collect(c.getMatch(pattern))).toEqual([[kept, "v"]]);
        t.expect(await c.deleteMatch(pattern)).toBe(1);
        t.expect(await scanSorted(c, pattern)).toEqual([]);
      });
    });

    t.it("setMany and getOrSet TTLs end; exist: false and getOrSet then store again", async () => {
      const c = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      const ttl = `${ttlMs}ms`;
      await inTime("setMany and getOrSet TTLs", async (n, deadline) => {
        const [a, b, guarded, computed] = [`a${n}`, `b${n}`, `guarded${n}`, `computed${n}`];
        let calls = 0;
        const factory = () => ++calls;
        const life = deadline(ttlMs);
        await c.setMany({ [a]: 1, [b]: 2 }, { ttl });
        await c.set(guarded, "first", { ttl });
        const first = await c.getOrSet(computed, factory, { ttl });
        const again = await c.getOrSet(computed, factory, { ttl });
        const refused = await c.set(guarded, "second", { exist: false });
        const present = await c.getMany([a, b], MISS);
        life.check();
        t.expect([first, again]).toEqual([1, 1]);
        t.expect(refused).toBe(false);
        t.expect(present).toEqual([1, 2]);
        await sleep(afterMs);
        t.expect(await c.getMany([a, b], MISS)).toEqual([MISS, MISS]);
        t.expect(await c.getOrSet(computed, factory)).toBe(2);
        t.expect(await c.set(guarded, "second", { exist: false })).toBe(true);
        t.expect(await c.get(guarded)).toBe("second");
        t.expect(await c.getExpire(guarded)).toBe(-1);
      });
    });

    t.it("expire() ends a key; an incr TTL ends and incr then counts from 0", async () => {
      const c = await h.open();
      const { ttlMs, afterMs } = shortTtl(h.target);
      await Promise.all([
        scenario("expire", () =>
          inTime("expire", async (n, deadline) => {
            const e = `e${n}`;
            await c.set(e, 1);
            const life = deadline(ttlMs);
            const set = await c.expire(e, `${ttlMs}ms`);
            const left = await c.getExpire(e);
            life.check();
            t.expect(set).toBe(true);
            expectMsBetween(t, left, 1, ttlMs);
            await sleep(afterMs);
            t.expect(await c.get(e, MISS)).toBe(MISS);
            t.expect(await c.expire(e, "1s")).toBe(false);
          }),
        ),
        scenario("incr", () =>
          inTime("incr", async (n, deadline) => {
            const key = `n${n}`;
            const life = deadline(ttlMs);
            const created = await c.incr(key, 1, { ttl: ttlMs });
            const counted = await c.incr(key, 1, { ttl: "1h" });
            life.check();
            t.expect([created, counted]).toEqual([1, 2]);
            await sleep(afterMs);
            t.expect(await c.exists(key)).toBe(false);
            t.expect(await c.incr(key)).toBe(1);
            t.expect(await c.getExpire(key)).toBe(-1);
          }),
        ),
      ]);
    });
  });
}
