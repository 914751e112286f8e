import { afterEach, describe, expect, it, vi } from "vitest";
import { coarseClock, systemClock } from "../../src/core/clock";

/** A coarse clock whose timer the test fires by hand. */
function manual() {
  const timers: { reset: () => void; ms: number }[] = [];
  const clock = coarseClock((reset, ms) => {
    timers.push({ reset, ms });
  });
  return { clock, timers };
}

describe("coarseClock", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("reads Date.now() once and reuses it until its 1 ms timer runs", () => {
    const now = vi.spyOn(Date, "now").mockReturnValue(1_000);
    const { clock, timers } = manual();
    expect(clock.now()).toBe(1_000);
    now.mockReturnValue(1_007);
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
    expect(now).toHaveBeenCalledTimes(1);
    expect(timers.map((t) => t.ms)).toEqual([1]);
    timers[0]?.reset();
    expect(clock.now()).toBe(1_007);
    expect(now).toHaveBeenCalledTimes(2);
    expect(timers).toHaveLength(2);
  });

  it("reads again after 256 reuses even when the timer never runs, with one timer pending", () => {
    const now = vi.spyOn(Date, "now").mockReturnValue(5);
    const { clock, timers } = manual();
    clock.now();
    now.mockReturnValue(9);
    for (let i = 0; i < 256; i++) expect(clock.now()).toBe(5);
    expect(clock.now()).toBe(9);
    expect(now).toHaveBeenCalledTimes(2);
    expect(timers).toHaveLength(1);
  });

  it("never runs ahead of or far behind the real clock", async () => {
    const clock = coarseClock((reset, ms) => {
      setTimeout(reset, ms);
    });
    const first = clock.now();
    expect(Math.abs(first - systemClock.now())).toBeLessThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 15));
    const later = clock.now();
    expect(later - first).toBeGreaterThanOrEqual(10);
    expect(later).toBeLessThanOrEqual(Date.now());
  });
});
