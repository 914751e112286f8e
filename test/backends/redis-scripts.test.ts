// Lua scripts are loaded once per connection: concurrent first calls share one SCRIPT LOAD and
// then use EVALSHA, instead of each getting NOSCRIPT and resending the whole script with EVAL;
// after the server forgets its scripts (SCRIPT FLUSH, a restart) calls still succeed.

import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { type RedisProcess, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";

/** `calls` of each command since the last CONFIG RESETSTAT, lowercase names. */
async function commandCalls(url: string): Promise<Record<string, number>> {
  const admin = createClient({ url });
  await admin.connect();
  try {
    const info = String(await admin.sendCommand(["INFO", "commandstats"]));
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      calls[match[1] as string] = Number(match[2]);
    return calls;
  } finally {
    await admin.quit();
  }
}

async function admin(url: string, ...commands: string[][]): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  for (const command of commands) await client.sendCommand(command);
  await client.quit();
}

describe.skipIf(skipWithoutRedis)("redis backend: Lua scripts", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("100 concurrent first increments send one SCRIPT LOAD and no EVAL", async () => {
    await admin(redis.url, ["SCRIPT", "FLUSH"], ["CONFIG", "RESETSTAT"]);
    const cache = new lib.Cache().setup(`${redis.url}?keyPrefix=scripts:`);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.incr("hits", 1, { ttl: "1m" })),
    );
    expect(Math.max(...results)).toBe(100);
    await cache.close();
    const calls = await commandCalls(redis.url);
    expect(calls["script|load"]).toBe(1);
    expect(calls.eval).toBeUndefined();
    expect(calls.evalsha).toBe(100);
  });

  it("a flushed script cache is reloaded, and every call still succeeds", async () => {
    const cache = new lib.Cache().setup(`${redis.url}?keyPrefix=flushed:`);
    expect(await cache.incr("n", 1, { ttl: "1m" })).toBe(1);
    await admin(redis.url, ["SCRIPT", "FLUSH"]);
    expect(await cache.incr("n", 1, { ttl: "1m" })).toBe(2);
    expect(await cache.incr("n", 1, { ttl: "1m" })).toBe(3);
    expect(await cache.getExpire("n")).toBeGreaterThan(0);
    await cache.close();
  });
});
