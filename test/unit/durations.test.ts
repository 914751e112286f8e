import { describe, expect, it } from "vitest";
import { checkTtlOption, parseDuration, toMilliseconds } from "../../src/core/durations";
import { CacheConfigError, CacheError } from "../../src/core/errors";

const VALID: [string, number][] = [
  ["500ms", 500],
  ["10s", 10_000],
  ["5m", 300_000],
  ["5ms", 5],
  ["1m10s", 70_000],
  ["2h5m", 7_500_000],
  ["1d2h3m50s", 93_830_000],
  ["1w", 604_800_000],
  ["1w1d", 691_200_000],
  ["1h1ms", 3_600_001],
  ["1.5s", 1500],
  ["1.1s", 1100],
  ["0.25h", 900_000],
  ["1m0.5s", 60_500],
  ["0.5ms", 1],
  ["0.0001s", 1],
  ["0s", 0],
  ["0", 0],
  [" 0 ", 0],
  ["  10s  ", 10_000],
  ["1h 30m", 5_400_000],
  ["007s", 7000],
];

const MALFORMED = [
  "1.5x",
  "1h30",
  "",
  "   ",
  "h",
  "-5s",
  "1s1s",
  "5m1h",
  "1ms1s",
  "10",
  "00",
  "0.0",
  "1 h",
  "1H",
  "1M",
  "1e3s",
  "1.s",
  ".5s",
  "1,5s",
  "ms",
  "1hour",
  "1h-5m",
  "s5",
  "NaN",
  "Infinity",
  "99999999999999999999999w",
];

describe("parseDuration", () => {
  for (const [text, ms] of VALID) {
    it(`${JSON.stringify(text)} = ${ms} ms`, () => {
      expect(parseDuration(text)).toBe(ms);
    });
  }

  for (const text of MALFORMED) {
    it(`rejects ${JSON.stringify(text)} with CacheConfigError`, () => {
      expect(() => parseDuration(text)).toThrow(CacheConfigError);
    });
  }

  it("quotes the input and shows valid examples in the message", () => {
    let caught: unknown;
    try {
      parseDuration("1h30");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CacheConfigError);
    expect(CacheError.is(caught)).toBe(true);
    const error = caught as CacheConfigError;
    expect(error.code).toBe("E_CONFIG");
    expect(error.message).toMatch(/^\[isocache\] invalid duration "1h30": use /);
    expect(error.message).toContain('"2h5m"');
    expect(error.message).toContain("largest first");
  });

  it("explains a repeated or misordered unit", () => {
    expect(() => parseDuration("1s1s")).toThrow(/unit "s" repeated or out of order/);
    expect(() => parseDuration("5m1h")).toThrow(/unit "h" repeated or out of order/);
  });

  it("rejects a non-string from untyped callers", () => {
    expect(() => parseDuration(5 as unknown as string)).toThrow(CacheConfigError);
  });
});

describe("toMilliseconds", () => {
  it("passes whole milliseconds through and rounds fractions, never a positive value to 0", () => {
    expect(toMilliseconds(0)).toBe(0);
    expect(toMilliseconds(1500)).toBe(1500);
    expect(toMilliseconds(1.4)).toBe(1);
    expect(toMilliseconds(1.6)).toBe(2);
    expect(toMilliseconds(0.2)).toBe(1);
    expect(toMilliseconds("2h5m")).toBe(7_500_000);
  });

  for (const bad of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
    it(`rejects ${bad}`, () => {
      expect(() => toMilliseconds(bad)).toThrow(CacheConfigError);
    });
  }

  it("names the option in the message", () => {
    expect(() => toMilliseconds(-1, "softTtl")).toThrow(/^\[isocache\] invalid softTtl -1: /);
    expect(() => toMilliseconds("1x", "earlyTtl")).toThrow(/invalid earlyTtl "1x"/);
    expect(() => toMilliseconds(null as unknown as number)).toThrow(/invalid ttl \(null\)/);
  });
});

describe("checkTtlOption", () => {
  it("resolves an absent option to no expiry", () => {
    expect(checkTtlOption(undefined)([])).toBeUndefined();
  });

  it("parses fixed durations once, up front", () => {
    expect(checkTtlOption("1h")([])).toBe(3_600_000);
    expect(checkTtlOption(250)([])).toBe(250);
  });

  it("treats 0 as no expiry", () => {
    expect(checkTtlOption(0)([])).toBeUndefined();
    expect(checkTtlOption("0s")([])).toBeUndefined();
    expect(checkTtlOption(() => 0)([])).toBeUndefined();
  });

  it("throws when the option is given, not at call time", () => {
    expect(() => checkTtlOption("1.5x")).toThrow(CacheConfigError);
    expect(() => checkTtlOption(-5, "softTtl")).toThrow(/softTtl/);
    expect(() => checkTtlOption({} as unknown as number)).toThrow(CacheConfigError);
  });

  it("calls a function with the call's arguments", () => {
    const resolve = checkTtlOption((id: string, premium: boolean) => (premium ? "1h" : `${id.length}s`));
    expect(resolve(["abc", true])).toBe(3_600_000);
    expect(resolve(["abc", false])).toBe(3000);
    expect(resolve(["abcd", false])).toBe(4000);
    expect(resolve(["abc", true])).toBe(3_600_000);
    expect(checkTtlOption((n: number) => n * 2)([21])).toBe(42);
  });

  it("accepts a function that will return a bad value, and throws when it does", () => {
    const resolve = checkTtlOption((text: unknown) => text as string);
    expect(resolve(["10s"])).toBe(10_000);
    expect(() => resolve(["1h30"])).toThrow(/invalid ttl function result "1h30"/);
    expect(() => resolve([-1])).toThrow(CacheConfigError);
    expect(() => resolve([undefined])).toThrow(/\(undefined\)/);
    expect(() => resolve([Promise.resolve("1s")])).toThrow(/Promise/);
    expect(resolve(["10s"])).toBe(10_000);
  });
});
