// Workers KV off Workers: kv:// keeps failing with a CacheConfigError that says where it runs,
// and the subpath's URL parsing and option checks (no KV is needed for either).
import { describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { cloudflareKv, cloudflareKvBackend } from "../../src/backends/cloudflare-kv";

function setupError(target: unknown): Error {
  try {
    new lib.Cache().setup(target as string);
  } catch (error) {
    return error as Error;
  }
  throw new Error("setup did not throw");
}

describe("cloudflare-kv on Node", () => {
  it("kv://CACHE throws CacheConfigError naming Cloudflare Workers", () => {
    const error = setupError("kv://CACHE");
    expect(error).toBeInstanceOf(lib.CacheConfigError);
    expect(error.message).toMatch(/kv:\/\/ is not served on node.*Cloudflare Workers/);
  });

  it("{ kv } is not taken for a backend on Node", () => {
    expect(setupError({ kv: {} })).toBeInstanceOf(lib.CacheConfigError);
  });

  it("registered on Node, kv:// sets up but its first command says cloudflare:workers is missing", async () => {
    const options = cloudflareKv.fromUrl(new URL("kv://CACHE"), new URLSearchParams());
    const cache = new lib.Cache().setup(cloudflareKv.create(options, { clock: { now: Date.now } }));
    const error = await cache.get("k").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(lib.CacheConfigError);
    expect((error as Error).message).toMatch(/cloudflare:workers.*setup\(\{ kv: env\.CACHE \}\)/);
  });

  it("reads the binding name and base from the URL, and refuses anything else", () => {
    const parse = (text: string) => {
      const url = new URL(text);
      return cloudflareKv.fromUrl(url, new URLSearchParams(url.search));
    };
    expect(parse("kv://MY_CACHE")).toEqual({ binding: "MY_CACHE", base: "" });
    expect(parse("kv://CACHE?base=app%3A")).toEqual({ binding: "CACHE", base: "app:" });
    expect(() => parse("kv://")).toThrow(lib.CacheConfigError);
    expect(() => parse("kv://CACHE/more")).toThrow(/one binding/);
    expect(() => parse("kv://CACHE?ttl=5")).toThrow(/unknown URL parameter "ttl"/);
    // "abc" is stored as the namespace "abc:", which leaves 508 of KV's 512 bytes.
    expect(cloudflareKv.capabilities(parse("kv://CACHE?base=abc"))).toMatchObject({
      maxKeyBytes: 508,
      atomic: false,
      consistency: "eventual",
    });
  });

  it("cloudflareKvBackend needs exactly one of namespace and binding, and a base under 512 bytes", () => {
    expect(() => cloudflareKvBackend({})).toThrow(lib.CacheConfigError);
    expect(() => cloudflareKvBackend({ binding: "A", namespace: {} as never })).toThrow(/exactly one/);
    expect(() => cloudflareKvBackend({ namespace: { get() {} } as never })).toThrow(/not a Workers KV/);
    expect(() => cloudflareKvBackend({ binding: "A", base: "x".repeat(512) })).toThrow(/512/);
    expect(cloudflareKvBackend({ binding: "A" }).name).toBe("cloudflare-kv");
  });
});
