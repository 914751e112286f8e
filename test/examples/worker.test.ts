// The Workers example run by `npm run example:worker`: the worker named in wrangler.toml, bundled
// with the workerd export condition, served by miniflare (real workerd) on a loopback port with
// the CACHE KV namespace bound. Over real HTTP it must answer MISS, HIT, then 304; a second
// process over the same local KV data must answer HIT, which memory could not.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectMissHitNotModified, expectNoCacheRefreshes, freshId, get, withExample } from "./helpers";

const persistTo = mkdtempSync(join(tmpdir(), "isocache-worker-kv-"));
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

describe("example:worker", () => {
  it("in miniflare with the KV binding: MISS, HIT, 304; no-cache re-renders and stores; entries live in KV", async () => {
    const options = { args: ["--persist-to", persistTo] };
    const report = `/reports/${freshId()}`;
    const body = await withExample("example:worker", options, async ({ url, output }) => {
      expect(output()).toContain("isocache example on workerd (isocache-example, KV: CACHE) listening on");
      const { body } = await expectMissHitNotModified(`${url}${report}`);
      expect(JSON.parse(body)).toMatchObject({ runtime: "workerd", renders: 1 });
      const refreshed = await expectNoCacheRefreshes(`${url}${report}`, body);
      const stats = await (await get(`${url}/stats`)).json();
      expect(stats).toMatchObject({ runtime: "workerd", backend: "Workers KV (CACHE)", renders: 2 });
      return refreshed;
    });
    await withExample("example:worker", options, async ({ url }) => {
      const hit = await get(`${url}${report}`);
      expect(hit.headers.get("x-cache")).toBe("HIT");
      expect(await hit.text()).toBe(body);
      expect(await (await get(`${url}/stats`)).json()).toMatchObject({ renders: 0 });
    });
  });
});
