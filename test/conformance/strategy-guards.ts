// Strategies that guard a call rather than cache it (SPEC 5): `locked`, `rateLimit`,
// `sliceRateLimit`, `circuitBreaker`, `bloom`. Windows on the cache's clock are crossed by moving
// it; windows that are storage TTLs are a few hundred real milliseconds, and a check that needs
// one still open counts only when a deadline measured that the steps before it were fast enough.
import {
  Boom,
  concurrently,
  counted,
  expectCacheError,
  inTime,
  rejection,
  type StrategyHarness,
  scenario,
  sleep,
  split,
  thrown,
} from "./strategy-harness";

/** The value `promise` resolves to, or the reason it rejects with. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

export function guardTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("locked, rateLimit, sliceRateLimit, circuitBreaker, bloom", () => {
    t.it("locked({ wait: false }): of 10 concurrent calls one runs and nine get LockedError", async () => {
      const cache = await h.open();
      const c = counted(80);
      const charge = cache.locked({ ttl: "5s", wait: false })(c.fn);
      const { values, errors } = split(await concurrently(10, () => charge("card")));
      t.expect(values).toEqual(["card:1"]);
      t.expect(errors).toHaveLength(9);
      for (const error of errors) expectCacheError(h, error, h.lib.LockedError);
      t.expect(c.runs()).toBe(1);
      // It stores nothing and releases the lock: the next call runs again.
      t.expect(await charge("card")).toBe("card:2");
    });

    t.it("locked with waiting runs the calls of one key one at a time, each executing", async () => {
      const cache = await h.open();
      let active = 0;
      let most = 0;
      let runs = 0;
      const serial = cache.locked({ ttl: "5s", step: "5ms" })(async function serial(_id: string) {
        active++;
        most = Math.max(most, active);
        runs++;
        await sleep(15);
        active--;
        return runs;
      });
      const { values, errors } = split(await concurrently(5, () => serial("a")));
      t.expect(errors).toEqual([]);
      t.expect([...values].sort()).toEqual([1, 2, 3, 4, 5]);
      t.expect(most).toBe(1);
    });

    t.it(
      "rateLimit({ limit: n }): n calls pass and call n + 1 throws RateLimitError, for n from 1 to 9",
      async () => {
        const cache = await h.open();
        for (let n = 1; n <= 9; n++) {
          await scenario(`limit ${n}`, async () => {
            let runs = 0;
            const limited = cache.rateLimit({ limit: n, period: "10s", name: `limited${n}` })(
              async function limited() {
                runs++;
                return runs;
              },
            );
            for (let i = 1; i <= n; i++) t.expect(await limited("a")).toBe(i);
            expectCacheError(h, await rejection(() => limited("a")), h.lib.RateLimitError);
            t.expect(runs).toBe(n);
            // Other arguments have their own count.
            t.expect(await limited("b")).toBe(n + 1);
          });
        }
      },
    );

    t.it(
      "rateLimit: the period lifts the limit, a ttl bans longer, and action replaces the error",
      async () => {
        const cache = await h.open();
        const x = h.target.timeScale ?? 1;
        await Promise.all([
          // The fixed window and the ban are storage TTLs running in real time: a check that needs
          // one still running counts only when its deadline says the steps were fast enough.
          scenario("period", () =>
            inTime("rateLimit period", async (n, deadline) => {
              const c = counted();
              const limited = cache.rateLimit({ limit: 1, period: 150 * x, name: `period${n}` })(c.fn);
              const window = deadline(150 * x);
              const first = await limited("a");
              const refused = await outcome(limited("a"));
              window.check();
              t.expect(first).toBe("a:1");
              expectCacheError(h, refused, h.lib.RateLimitError);
              await sleep(300 * x);
              t.expect(await limited("a")).toBe("a:2");
            }),
          ),
          scenario("ban", () =>
            inTime("rateLimit ban", async (n, deadline) => {
              const c = counted();
              const banned = cache.rateLimit({ limit: 1, period: 100 * x, ttl: 300 * x, name: `ban${n}` })(
                c.fn,
              );
              const window = deadline(100 * x);
              const first = await banned("a");
              const ban = deadline(300 * x);
              const refused = await outcome(banned("a"));
              window.check();
              t.expect(first).toBe("a:1");
              expectCacheError(h, refused, h.lib.RateLimitError);
              await sleep(150 * x);
              // The window has ended, the ban has not.
              const stillBanned = await outcome(banned("a"));
              ban.check();
              expectCacheError(h, stillBanned, h.lib.RateLimitError);
              await sleep(400 * x);
              t.expect(await banned("a")).toBe("a:2");
            }),
          ),
          scenario("action", async () => {
            const c = counted();
            const polite = cache.rateLimit({
              limit: 1,
              period: "10s",
              name: "action",
              action: (id: string) => `slow down ${id}`,
            })(c.fn);
            t.expect(await polite("a")).toBe("a:1");
            t.expect(await polite("a")).toBe("slow down a");
            t.expect(c.runs()).toBe(1);
          }),
        ]);
      },
    );

    t.it("sliceRateLimit lifts the limit as each call leaves the sliding window", async () => {
      const cache = await h.open();
      const c = counted();
      // The call times are on the cache's clock, which the test moves; a 10 s window cannot be
      // crossed by real time alone during the test.
      const send = cache.sliceRateLimit({ limit: 2, period: "10s" })(c.fn);
      t.expect(await send("a")).toBe("a:1");
      h.clock.advance(4_000);
      t.expect(await send("a")).toBe("a:2");
      expectCacheError(h, await rejection(() => send("a")), h.lib.RateLimitError);
      h.clock.advance(6_100);
      // The first call has left the window, the second has not: one slot, not a fresh window of two.
      t.expect(await send("a")).toBe("a:3");
      expectCacheError(h, await rejection(() => send("a")), h.lib.RateLimitError);
      t.expect(c.runs()).toBe(3);
    });

    t.it(
      "circuitBreaker opens at the error rate, refuses until ttl, then half-open lets calls through",
      async () => {
        const cache = await h.open();
        const x = h.target.timeScale ?? 1;
        // Open and half-open are storage TTLs running in real time: the refusals count only when
        // they came back before the open TTL could end.
        await inTime("circuit open", async (n, deadline) => {
          let failing = false;
          let runs = 0;
          const remote = cache.circuitBreaker({
            errorsRate: 50,
            period: "5s",
            ttl: 250 * x,
            halfOpenTtl: "2s",
            minCalls: 4,
            name: `remote${n}`,
          })(async function remote() {
            runs++;
            if (failing) throw new Boom(`run ${runs}`);
            return runs;
          });
          const call = async (fail: boolean) => {
            failing = fail;
            return outcome(remote());
          };
          t.expect(await call(false)).toBe(1);
          t.expect(await call(true)).toBeInstanceOf(Boom);
          // 1 error in 2 calls is 50%, but fewer than minCalls: still closed.
          t.expect(await call(false)).toBe(3);
          const open = deadline(250 * x);
          t.expect(await call(true)).toBeInstanceOf(Boom);
          const refused = [await call(false), await call(false), await call(false)];
          open.check();
          for (const error of refused) expectCacheError(h, error, h.lib.CircuitBreakerOpen);
          t.expect(runs).toBe(4);
          await sleep(350 * x);
          let passed = 0;
          for (let attempt = 0; attempt < 150 && passed === 0; attempt++) {
            const result = await call(false);
            if (typeof result === "number") passed++;
            else expectCacheError(h, result, h.lib.CircuitBreakerOpen);
            await sleep(2);
          }
          t.expect(passed).toBeGreaterThan(0);
        });
      },
    );

    t.it("circuitBreaker({ errorsRate: 150 }) throws CacheConfigError when wrapping", async () => {
      const cache = await h.open();
      const error = thrown(() =>
        cache.circuitBreaker({ errorsRate: 150, period: "1s", ttl: "1s" })(async function remote() {
          return 1;
        }),
      );
      expectCacheError(h, error, h.lib.CacheConfigError);
    });

    t.it(
      "bloom returns false without calling for unseen arguments, and calls through after fn.set",
      async () => {
        const cache = await h.open();
        const marked = new Set<string>();
        let calls = 0;
        const taken = cache.bloom({ capacity: 100, falsePositives: 1 })(async function isTaken(
          email: string,
        ) {
          calls++;
          return marked.has(email);
        });
        t.expect(await taken("a@example.com")).toBe(false);
        t.expect(calls).toBe(0);
        const emails = Array.from({ length: 50 }, (_, i) => `user${i}@example.com`);
        for (const email of emails) {
          marked.add(email);
          await taken.set(email);
        }
        for (const email of emails) t.expect(await taken(email)).toBe(true);
        t.expect(calls).toBe(50);
        // Unseen arguments answer false, through the filter or (a false positive) through the function.
        t.expect(await taken("nobody@example.com")).toBe(false);
      },
    );
  });
}
