// The Upstash-compatible test gateway answers integers as the real Upstash does: the exact
// digits of Redis's 64-bit reply as a JSON number, at every depth and with `upstash-encoding:
// base64` (which encodes strings only). Read as raw response text, where no JSON.parse rounds,
// and through `@upstash/redis`, which sees every integer up to 2^53 - 1 exactly.
import { Redis } from "@upstash/redis";
import { describe, expect, inject, it } from "vitest";
import { skipWithoutRedis } from "../support/skip";
import { freshNamespace } from "../support/upstash-target";

const url = inject("upstashUrl") ?? "";
const token = inject("upstashToken") ?? "";
const MAX_SAFE = 2n ** 53n - 1n;
const MAX_INT64 = 2n ** 63n - 1n;

/** The raw response text of `body` POSTed to the gateway at `path`. */
async function post(path: string, body: unknown, base64 = false): Promise<string> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (base64) headers["upstash-encoding"] = "base64";
  const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return response.text();
}

describe.skipIf(skipWithoutRedis)("upstash gateway: integer replies", () => {
  it("INCRBY from 2^53 - 10 to 2^53 - 1 answers the exact digits", async () => {
    const key = `${freshNamespace("gateway")}counter`;
    expect(await post("/", ["set", key, String(MAX_SAFE - 9n)])).toBe('{"result":"OK"}');
    expect(await post("/", ["incrby", key, 9])).toBe(`{"result":${MAX_SAFE}}`);
    expect(await post("/", ["incrby", key, 1])).toBe(`{"result":${MAX_SAFE + 1n}}`);
    await post("/", ["del", key]);
  });

  it("64-bit integers stay exact in pipelines and transactions, with base64 strings beside them", async () => {
    const key = `${freshNamespace("gateway")}big`;
    await post("/", ["set", key, String(MAX_INT64 - 10n)]);
    const piped = await post(
      "/pipeline",
      [
        ["incrby", key, 10],
        ["get", key],
      ],
      true,
    );
    const text = Buffer.from(String(MAX_INT64)).toString("base64");
    expect(piped).toBe(`[{"result":${MAX_INT64}},{"result":"${text}"}]`);
    const low = -(2n ** 63n);
    const atomic = await post("/multi-exec", [
      ["set", key, String(low + 1n)],
      ["decrby", key, 1],
      ["exists", key, key],
    ]);
    expect(atomic).toBe(`[{"result":"OK"},{"result":${low}},{"result":2}]`);
    await post("/", ["del", key]);
  });

  it("@upstash/redis reads a counter at 2^53 - 1 exactly", async () => {
    const redis = new Redis({ url, token, enableTelemetry: false });
    const key = `${freshNamespace("gateway")}client`;
    await redis.set(key, String(MAX_SAFE - 9n));
    expect(await redis.incrby(key, 9)).toBe(Number(MAX_SAFE));
    expect(await redis.eval("return redis.call('INCRBY', KEYS[1], -1)", [key], [])).toBe(
      Number(MAX_SAFE) - 1,
    );
    await redis.del(key);
  });
});
