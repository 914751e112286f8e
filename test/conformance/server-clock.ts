// The clock a server runtime's cache uses by default (Node, Bun, Deno): `Date.now()` read at most
// once per millisecond through an unref'd timer. Checked through the runtime's own entry.
import type { TestApi } from "./types";

interface ClockModule {
  Cache: new () => {
    readonly clock: { now(): number };
    set(key: string, value: unknown, options?: { ttl?: number }): Promise<unknown>;
    get(key: string): Promise<unknown>;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function serverClockSuite(t: Pick<TestApi, "describe" | "it" | "expect">, lib: ClockModule): void {
  const { describe, it, expect } = t;
  describe("server clock", () => {
    it("reuses one clock read within a millisecond and moves on after it", async () => {
      const clock = new lib.Cache().clock;
      await sleep(5); // any read still pending from earlier tests has been cleared
      const original = Date.now;
      let reads = 0;
      Date.now = () => {
        reads++;
        return original.call(Date);
      };
      let first: number;
      try {
        first = clock.now();
        for (let i = 0; i < 100; i++) clock.now();
      } finally {
        Date.now = original;
      }
      expect(reads).toBe(1);
      await sleep(15);
      expect(clock.now() - first).toBeGreaterThanOrEqual(10);
    });

    it("still expires a 20 ms TTL on time", async () => {
      const cache = new lib.Cache();
      await cache.set("clock:short", "v", { ttl: 20 });
      expect(await cache.get("clock:short")).toBe("v");
      await sleep(40);
      expect(await cache.get("clock:short")).toBeUndefined();
    });
  });
}
