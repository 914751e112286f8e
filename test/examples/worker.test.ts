// The Workers example run by `npm run example:worker`: the worker named in wrangler.toml, bundled
// with the workerd export condition, served by miniflare (real workerd) on a loopback port with
// the CACHE KV namespace bound. Over real HTTP it must answer MISS, HIT, then 304.
import { describe, expect, it } from "vitest";
import { expectMissHitNotModified, expectNoCacheRefreshes, freshId, get, withExample } from "./helpers";

describe("example:worker", () => {
  it("in miniflare with the KV binding: MISS, HIT, 304; no-cache re-renders and stores", async () => {
    await withExample("example:worker", {}, async ({ url, output }) => {
      expect(output()).toContain("isocache example on workerd (isocache-example, KV: CACHE) listening on");
      const report = `${url}/reports/${freshId()}`;
      const { body } = await expectMissHitNotModified(report);
      expect(JSON.parse(body)).toMatchObject({ runtime: "workerd", renders: 1 });
      await expectNoCacheRefreshes(report, body);
      const stats = await (await get(`${url}/stats`)).json();
      expect(stats).toMatchObject({ runtime: "workerd", backend: "Workers KV (CACHE)", renders: 2 });
    });
  });
});
