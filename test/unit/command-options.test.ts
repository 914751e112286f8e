// The options of the commands and of `new Cache()` are checked before anything runs: a mistyped
// name (`{ ttll: "10m" }`), options that are no object (`set(key, value, 60)`, as other caches
// take a TTL) or a flag that is no boolean used to be taken without a word, and the value was
// stored forever or under the wrong condition. The request-scoped helpers check their arguments
// alike.
import { describe, expect, it } from "vitest";
import { Cache, CacheArgumentError, CacheConfigError } from "../../runtimes/node";
import { rejection } from "../conformance/basic-harness";

function expectRefused(error: unknown, pattern: RegExp): void {
  expect(error).toBeInstanceOf(CacheArgumentError);
  expect((error as Error).message).toMatch(/^\[isocache\] /);
  expect((error as Error).message).toMatch(pattern);
}

describe("command options", () => {
  it("set refuses an unknown option, names the one meant, and stores nothing", async () => {
    const cache = new Cache();
    const error = await rejection(() => cache.set("user:1", "Ada", { ttll: "10m" } as never));
    expectRefused(
      error,
      /set\("user:1", value, options\) has no option `ttll`: did you mean `ttl`\? \(the options are ttl, exist, tags\)/,
    );
    expect(await cache.exists("user:1")).toBe(false);
  });

  it("set refuses a name far from every option with 'remove it'", async () => {
    const cache = new Cache();
    const error = await rejection(() => cache.set("k", 1, { overwrite: true } as never));
    expectRefused(error, /has no option `overwrite`: remove it \(the options are ttl, exist, tags\)/);
  });

  it.each([60, "10m", null, true, ["ttl"]])(
    "set refuses options %j that are no object, as a rejection",
    async (options) => {
      const cache = new Cache();
      let returned: unknown;
      expect(() => {
        returned = cache.set("k", 1, options as never);
      }).not.toThrow();
      expect(returned).toBeInstanceOf(Promise);
      expectRefused(
        await rejection(() => returned),
        /set\("k", value, options\) needs an options object, got .*ttl: "10m"/,
      );
      expect(await cache.exists("k")).toBe(false);
    },
  );

  it.each(["yes", 1, 0, null])("set refuses exist: %j, which is no boolean", async (exist) => {
    const cache = new Cache();
    await cache.set("k", "old");
    const error = await rejection(() => cache.set("k", "new", { exist } as never));
    expectRefused(error, /`exist` must be true or false, got .*: pass exist: true or exist: false/);
    expect(await cache.get("k")).toBe("old");
  });

  it("getOrSet refuses an unknown option before the factory runs", async () => {
    const cache = new Cache();
    let runs = 0;
    const error = await rejection(() => cache.getOrSet("k", () => ++runs, { tag: ["a"] } as never));
    expectRefused(error, /getOrSet\("k", factory, options\) has no option `tag`: did you mean `tags`\?/);
    expect(runs).toBe(0);
    expectRefused(
      await rejection(() => cache.getOrSet("k", () => ++runs, null as never)),
      /needs an options object/,
    );
    expect(runs).toBe(0);
  });

  it("incr and setMany take a ttl only", async () => {
    const cache = new Cache();
    expectRefused(
      await rejection(() => cache.incr("n", 1, { tl: "1m" } as never)),
      /incr\("n", by, options\) has no option `tl`: did you mean `ttl`\?/,
    );
    expectRefused(
      await rejection(() => cache.incr("n", 1, 60 as never)),
      /incr\("n", by, options\) needs an options object, got 60/,
    );
    expect(await cache.exists("n")).toBe(false);
    expectRefused(
      await rejection(() => cache.setMany([["a", 1]], { ttl: "1m", tags: ["x"] } as never)),
      /setMany\(entries, options\) has no option `tags`: remove it \(the options are ttl\)/,
    );
    expect(await cache.exists("a")).toBe(false);
  });

  it("isLocked and lock refuse unknown options; lock runs nothing", async () => {
    const cache = new Cache();
    expectRefused(
      await rejection(() => cache.isLocked("job", { wiat: "1s" } as never)),
      /isLocked\("job", options\) has no option `wiat`: did you mean `wait`\?/,
    );
    let ran = false;
    const error = await rejection(() =>
      cache.lock("job", { ttl: "1s", stpe: "10ms" } as never, () => {
        ran = true;
      }),
    );
    expectRefused(
      error,
      /lock\("job", options, fn\) has no option `stpe`: did you mean `step`\? \(the options are ttl, wait, step\)/,
    );
    expect(ran).toBe(false);
    expect(await cache.isLocked("job")).toBe(false);
  });

  it("the options every command documents still pass", async () => {
    const cache = new Cache();
    expect(await cache.set("a", 1, { ttl: "1m", exist: false, tags: ["t"] })).toBe(true);
    expect(await cache.getOrSet("b", () => 2, { ttl: 1000, tags: ["t"] })).toBe(2);
    expect(await cache.incr("n", 1, { ttl: "1m" })).toBe(1);
    await cache.setMany({ c: 3 }, { ttl: "1m" });
    expect(await cache.isLocked("l", { wait: 10, step: 5 })).toBe(false);
    expect(await cache.lock("l", { ttl: "1s", wait: false, step: 5 }, () => "held")).toBe("held");
    expect(await cache.set("a", 1, {})).toBe(true);
    expect(await cache.set("a", 1, undefined)).toBe(true);
  });
});

describe("new Cache(options)", () => {
  it.each([null, 5, "mem://", [{ clock: Date }]])("refuses %j with a CacheConfigError", (options) => {
    expect(() => new Cache(options as never)).toThrow(CacheConfigError);
    expect(() => new Cache(options as never)).toThrow(
      /new Cache\(\) takes an options object, got .*: pass \{ clock \} or nothing/,
    );
  });

  it("refuses an unknown option and a clock without now()", () => {
    expect(() => new Cache({ clok: { now: () => 0 } } as never)).toThrow(
      /new Cache\(\) has no option `clok`: did you mean `clock`\?/,
    );
    expect(() => new Cache({ clock: () => 0 } as never)).toThrow(
      /`clock` must be an object with a now\(\) method, got a function/,
    );
    expect(() => new Cache({ clock: 5 } as never)).toThrow(CacheConfigError);
  });

  it("takes nothing, {} or a clock", async () => {
    let now = 1_000;
    const cache = new Cache({ clock: { now: () => now } });
    await cache.set("k", 1, { ttl: 100 });
    now += 101;
    expect(await cache.get("k")).toBeUndefined();
    expect(new Cache({})).toBeInstanceOf(Cache);
    expect(new Cache(undefined)).toBeInstanceOf(Cache);
  });
});

describe("request-scoped helpers", () => {
  const notFunction = 5 as unknown as () => number;

  it("withRequest refuses a request that is no object, a waitUntil that is no function, and a non-function", () => {
    const cache = new Cache();
    expect(() => cache.withRequest(5 as never, () => 1)).toThrow(
      /withRequest\(request, fn\) needs an options object, got 5: pass the platform's context/,
    );
    expect(() => cache.withRequest({ waitUntil: "later" } as never, () => 1)).toThrow(
      /`request.waitUntil` to be a function/,
    );
    expect(() => cache.withRequest({}, notFunction)).toThrow(CacheArgumentError);
    expect(cache.withRequest({ waitUntil: () => {} }, () => 1)).toBe(1);
    expect(cache.withRequest({}, () => 2)).toBe(2);
  });

  it("keyContext refuses values that are no object and a non-function", () => {
    const cache = new Cache();
    expect(() => cache.keyContext(5 as never, () => 1)).toThrow(
      /keyContext\(values, fn\) needs an options object, got 5/,
    );
    expect(() => cache.keyContext({ tenant: "a" }, notFunction)).toThrow(CacheArgumentError);
    expect(cache.keyContext({ tenant: "a" }, () => 3)).toBe(3);
  });

  it("callback refuses a non-function callback or scope and an unknown option", () => {
    const cache = new Cache();
    expect(() => cache.callback(notFunction as never, {}, () => 1)).toThrow(
      /callback\(fn, options, scope\) needs a function, got 5/,
    );
    expect(() => cache.callback(() => {}, {}, notFunction)).toThrow(CacheArgumentError);
    expect(() =>
      cache.callback(
        () => {},
        { comand: "get" } as never,
        () => 1,
      ),
    ).toThrow(/has no option `comand`: did you mean `command`\?/);
    expect(
      cache.callback(
        () => {},
        { command: "get" },
        () => 4,
      ),
    ).toBe(4);
    expect(
      cache.callback(
        () => {},
        undefined as never,
        () => 5,
      ),
    ).toBe(5);
  });
});
