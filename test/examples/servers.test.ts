// The server examples (Node, Bun, Deno) started as real processes with their npm script's
// command, each on a free loopback port: the Hono app must answer MISS, HIT, then 304, render
// once per entry, and honour Cache-Control: no-cache. Once on memory, once on Redis, where a
// second process must find the first one's entry.
import { describe, expect, inject, it } from "vitest";
import { skipWithoutRedis } from "../support/skip";
import { expectMissHitNotModified, expectNoCacheRefreshes, freshId, get, withExample } from "./helpers";

const EXAMPLES = [
  { runtime: "node", script: "example:node" },
  { runtime: "bun", script: "example:bun" },
  { runtime: "deno", script: "example:deno" },
] as const;

describe.each(EXAMPLES)("$script", ({ runtime, script }) => {
  it("on memory: MISS, HIT, 304; no-cache re-renders and stores", async () => {
    await withExample(script, {}, async ({ url, output }) => {
      expect(output()).toContain(`isocache example on ${runtime} (cache: memory) listening on ${url}`);
      const report = `${url}/reports/${freshId()}`;
      const { body } = await expectMissHitNotModified(report);
      expect(JSON.parse(body)).toMatchObject({ runtime, renders: 1 });
      const refreshed = await expectNoCacheRefreshes(report, body);
      expect(JSON.parse(refreshed)).toMatchObject({ renders: 2 });
      const stats = await (await get(`${url}/stats`)).json();
      expect(stats).toMatchObject({ runtime, backend: "memory", renders: 2 });
    });
  });

  it.skipIf(skipWithoutRedis)(
    "on Redis: MISS, HIT, 304; a second process serves the first one's entry as a HIT",
    async () => {
      const redisUrl = inject("redisUrl") as string;
      const env = { env: { REDIS_URL: redisUrl } };
      const report = `/reports/${freshId()}`;
      const body = await withExample(script, env, async ({ url, output }) => {
        expect(output()).toContain(`(cache: redis at ${new URL(redisUrl).host})`);
        return (await expectMissHitNotModified(`${url}${report}`)).body;
      });
      await withExample(script, env, async ({ url }) => {
        const hit = await get(`${url}${report}`);
        expect(hit.headers.get("x-cache")).toBe("HIT");
        expect(await hit.text()).toBe(body);
        expect(await (await get(`${url}/stats`)).json()).toMatchObject({ renders: 0 });
      });
    },
  );
});
