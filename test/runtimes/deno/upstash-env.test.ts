// Where the Upstash backend on the deno entry finds its REST URL and token: the environment, the
// `upstash://` URL or the options, and the CacheConfigError when none gives them; then, in deno
// child processes with narrow permissions, what Deno's env permission changes: without
// --allow-env a CacheConfigError naming the flag, and with only the two variables allowed (or
// none, url and token passed) commands work (the client used then reads no other variable).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { upstashBackend } from "../../../src/backends/upstash";
import { bundleFixture, startWorker } from "../../backends/fixtures/workers";
import { upstashEnvSuite } from "../../conformance/upstash-env";
import { skipWithoutRedis } from "../../support/skip";
import { freshNamespace, openSession, upstashUrl } from "../../support/upstash-target";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };
const ALLOW_TWO = "--allow-env=UPSTASH_REDIS_REST_URL,UPSTASH_REDIS_REST_TOKEN";

describe.skipIf(skipWithoutRedis)("upstash env on deno", () => {
  upstashEnvSuite(t, lib, address, upstashBackend);
});

describe.skipIf(skipWithoutRedis)("upstash under Deno's env permission (child processes)", () => {
  let script = "";
  beforeAll(async () => {
    script = await bundleFixture("upstash-worker", "deno");
  });

  /** A deno child with `permissions` and the two variables set to the gateway on a fresh session. */
  async function child(permissions: string[]) {
    const session = await openSession(address);
    const worker = startWorker(
      script,
      { UPSTASH_REDIS_REST_URL: address.url, UPSTASH_REDIS_REST_TOKEN: session.token },
      permissions,
    );
    return { worker, session };
  }

  const namespace = () => encodeURIComponent(freshNamespace("deno-permissions"));
  const stored = [{ value: true }, { value: { v: 1 } }, { value: true }];
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });
  afterAll(async () => {
    await stop?.();
  });

  it("without --allow-env, upstash:// reading the environment is a CacheConfigError naming the flag", async () => {
    const { worker } = await child(["--allow-net"]);
    stop = () => worker.stop();
    expect(await worker.call("runtime")).toBe("deno");
    const outcome = await worker.call<{ error: string; message: string }>(
      "setup",
      `upstash://?namespace=${namespace()}`,
    );
    expect(outcome.error).toBe("CacheConfigError");
    expect(outcome.message).toMatch(
      /^\[isocache\] \[upstash\] Deno may not read UPSTASH_REDIS_REST_URL \(.+\): run deno with --allow-env=UPSTASH_REDIS_REST_URL,UPSTASH_REDIS_REST_TOKEN .*or pass url and token$/,
    );
  });

  it("with only the two variables allowed, upstash:// reads them and every command works", async () => {
    const { worker, session } = await child([ALLOW_TWO, "--allow-net"]);
    stop = () => worker.stop();
    expect(await worker.call("setup", `upstash://?namespace=${namespace()}`)).toEqual({ value: "ok" });
    expect(await worker.call("roundTrip", "k", { v: 1 })).toEqual(stored);
    expect((await session.stats()).commands).toEqual(["set", "get", "del"]);
  });

  it("without --allow-env, url and token passed in the URL: every command works", async () => {
    const { worker, session } = await child(["--allow-net"]);
    stop = () => worker.stop();
    const url = upstashUrl({ url: address.url, token: session.token }, freshNamespace("deno-permissions"));
    expect(await worker.call("setup", url)).toEqual({ value: "ok" });
    expect(await worker.call("roundTrip", "k", { v: 1 })).toEqual(stored);
    expect((await session.stats()).requests).toBe(3);
  });
});
