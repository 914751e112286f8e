// Where the Upstash backend inside workerd finds its REST URL and token: the worker's vars, which
// nodejs_compat (compatibility_date 2025-04-01 or later) copies into `process.env` (vitest.config.ts
// binds UPSTASH_REDIS_REST_URL and _TOKEN as vars, as wrangler.toml's [vars] would), the
// `upstash://` URL or the options, and the CacheConfigError when none gives them.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { upstash, upstashBackend } from "../../../src/backends/upstash.workerd";
import { upstashEnvSuite } from "../../conformance/upstash-env";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const vars = env as unknown as Record<string, string | undefined>;

describe("upstash vars on workerd", () => {
  it("the worker's vars UPSTASH_REDIS_REST_URL and _TOKEN reach process.env, and upstash:// reads them there", () => {
    expect(typeof vars.UPSTASH_REDIS_REST_URL).toBe("string");
    expect(process.env.UPSTASH_REDIS_REST_URL).toBe(vars.UPSTASH_REDIS_REST_URL);
    expect(process.env.UPSTASH_REDIS_REST_TOKEN).toBe(vars.UPSTASH_REDIS_REST_TOKEN);
    const options = upstash.fromUrl(new URL("upstash://"), new URLSearchParams());
    expect([options.url, options.token]).toEqual([
      vars.UPSTASH_REDIS_REST_URL,
      vars.UPSTASH_REDIS_REST_TOKEN,
    ]);
  });
});

describe.skipIf(address.url === "")("upstash env on workerd", () => {
  beforeAll(() => lib.registerScheme(upstash));
  upstashEnvSuite(t, lib, address, upstashBackend);
});
