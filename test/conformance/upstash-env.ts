// Where the Upstash backend finds its REST URL and token on one runtime entry: from
// UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN in `process.env` (Node, Bun, Deno, and
// workerd, where nodejs_compat fills `process.env` from the worker's vars), from the
// `upstash://` URL or `upstashBackend()` options (which win over the environment), and the
// CacheConfigError when neither gives them. Each test talks to the gateway on a session of its
// own, so the requests it counts are its own. Free of node:* so workerd can import it.
import { freshNamespace, type GatewayAddress, openSession, upstashUrl } from "../support/upstash-target";
import type { IsocacheModule, TestApi } from "./types";

const URL_ENV = "UPSTASH_REDIS_REST_URL";
const TOKEN_ENV = "UPSTASH_REDIS_REST_TOKEN";

type Env = Record<string, string | undefined>;

/** The entry's `upstashBackend`, typed as loosely as the suites need it. */
export type UpstashBackendFactory = (options?: {
  url?: string;
  token?: string;
  namespace?: string;
}) => unknown;

/** The env suite on `lib`'s runtime; `upstash://` must already be served there (registered where needed). */
export function upstashEnvSuite(
  t: TestApi,
  lib: IsocacheModule,
  address: GatewayAddress,
  upstashBackend: UpstashBackendFactory,
): void {
  const { describe, it, expect, beforeEach, afterEach } = t;
  const env = (): Env => (globalThis as { process?: { env?: Env } }).process?.env as Env;
  let saved: Env = {};

  const restore = () => {
    for (const name of [URL_ENV, TOKEN_ENV]) {
      if (saved[name] === undefined) delete env()[name];
      else env()[name] = saved[name];
    }
  };

  /** Whatever setup throws, or undefined. */
  const thrown = (setup: () => unknown): unknown => {
    try {
      setup();
    } catch (error) {
      return error;
    }
    return undefined;
  };

  describe(`upstash url and token from the environment on ${lib.runtime}`, () => {
    beforeEach(() => {
      saved = { [URL_ENV]: env()[URL_ENV], [TOKEN_ENV]: env()[TOKEN_ENV] };
    });
    afterEach(restore);

    it("upstash:// without url and token reads both from UPSTASH_REDIS_REST_URL / _TOKEN and reaches that database", async () => {
      const session = await openSession(address);
      env()[URL_ENV] = address.url;
      env()[TOKEN_ENV] = session.token;
      const namespace = encodeURIComponent(freshNamespace(`${lib.runtime}-env`));
      const cache = new lib.Cache().setup(`upstash://?namespace=${namespace}`, { suppress: false });
      try {
        expect(await cache.set("k", { from: "env" })).toBe(true);
        expect(await cache.get("k")).toEqual({ from: "env" });
        // The session's token came from the environment: the gateway counted these requests under it.
        expect((await session.stats()).commands).toEqual(["set", "get"]);
      } finally {
        await cache.clear();
        await cache.close();
      }
    });

    it("upstashBackend() without options reads the environment too", async () => {
      const session = await openSession(address);
      env()[URL_ENV] = address.url;
      env()[TOKEN_ENV] = session.token;
      const cache = new lib.Cache().setup(
        upstashBackend({ namespace: freshNamespace(`${lib.runtime}-env`) }),
        {
          suppress: false,
        },
      );
      try {
        expect(await cache.ping()).toBe("PONG");
        expect((await session.stats()).requests).toBe(1);
      } finally {
        await cache.close();
      }
    });

    it("url and token given in the URL or the options win over the environment", async () => {
      const session = await openSession(address);
      env()[URL_ENV] = "https://not-this-database.invalid";
      env()[TOKEN_ENV] = "not-this-token";
      const fromUrl = new lib.Cache().setup(
        upstashUrl({ url: address.url, token: session.token }, freshNamespace(`${lib.runtime}-env`)),
        { suppress: false },
      );
      const fromOptions = new lib.Cache().setup(
        upstashBackend({
          url: address.url,
          token: session.token,
          namespace: freshNamespace(`${lib.runtime}-env`),
        }),
        { suppress: false },
      );
      try {
        expect(await fromUrl.ping()).toBe("PONG");
        expect(await fromOptions.ping()).toBe("PONG");
        expect((await session.stats()).requests).toBe(2);
      } finally {
        await Promise.all([fromUrl.close(), fromOptions.close()]);
      }
    });

    it("neither given nor set: CacheConfigError at setup naming what is missing and both ways to give it", () => {
      delete env()[URL_ENV];
      delete env()[TOKEN_ENV];
      for (const setup of [() => new lib.Cache().setup("upstash://"), () => upstashBackend()]) {
        const error = thrown(setup);
        expect(error).toBeInstanceOf(lib.CacheConfigError);
        expect((error as Error).message).toMatch(
          /^\[isocache\] \[upstash\] no REST URL and no REST token given: pass url and token \(upstash:\/\/\?url=…&token=…\) or set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN$/,
        );
      }
      env()[URL_ENV] = address.url;
      const error = thrown(() => new lib.Cache().setup("upstash://"));
      expect(error).toBeInstanceOf(lib.CacheConfigError);
      expect((error as Error).message).toMatch(
        /no REST token given: pass token .* or set UPSTASH_REDIS_REST_TOKEN$/,
      );
    });
  });
}
