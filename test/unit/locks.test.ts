import { afterEach, describe, expect, it, vi } from "vitest";
import { Cache, CacheConfigError } from "../../runtimes/node";

/** The longest delay a timer keeps; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
const realSetTimeout = globalThis.setTimeout;
const sleep = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

/** Records the delay of every timer set from now on; `stop` clears those still pending. */
function recordTimers() {
  const delays: number[] = [];
  const handles: ReturnType<typeof setTimeout>[] = [];
  vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    const handle = realSetTimeout(fn, ms);
    handles.push(handle);
    return handle;
  }) as typeof setTimeout);
  return {
    delays,
    stop() {
      vi.restoreAllMocks();
      for (const handle of handles) clearTimeout(handle);
    },
  };
}

describe("lock polling", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a step longer than a timer can wait sleeps the longest a timer can, not a busy poll", async () => {
    const cache = new Cache();
    await cache.setLock("held", "other", "40d");
    const timers = recordTimers();
    try {
      void cache.isLocked("held", { wait: "30d", step: "25d" });
      void cache.lock("held", { ttl: "40d", step: "25d" }, () => "ran");
      await sleep(100);
      expect(timers.delays.length).toBeLessThanOrEqual(2);
      expect(Math.max(...timers.delays)).toBe(MAX_TIMER_MS);
    } finally {
      timers.stop();
    }
  });

  it("step 0 is a CacheConfigError, as for `locked`, not a poll as fast as timers fire", async () => {
    const cache = new Cache();
    await cache.setLock("held", "other", "10s");
    const run = () => "ran";
    await expect(cache.lock("held", { ttl: "1s", wait: 200, step: 0 }, run)).rejects.toThrow(
      CacheConfigError,
    );
    await expect(cache.lock("held", { ttl: "1s", step: "0s" }, run)).rejects.toThrow(
      /`step` must be positive/,
    );
    await expect(cache.isLocked("held", { wait: 200, step: 0 })).rejects.toThrow(CacheConfigError);
    expect(await cache.isLocked("held", { wait: 0, step: 10 })).toBe(true);
  });
});
