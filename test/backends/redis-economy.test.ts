// How many Redis commands a cold key costs, counted by a real redis-server (INFO commandstats,
// which also counts the commands a Lua script runs): concurrent callers of one key share one
// read even while other keys are written, and `lock: true` costs one lock script, no extra read.
import { connect } from "node:net";
import { createClient } from "redis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { type RedisProcess, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";

type Admin = ReturnType<typeof createClient>;

/** `calls` of each command since the last CONFIG RESETSTAT (script internals included). */
async function commandCalls(admin: Admin): Promise<Record<string, number>> {
  const info = String(await admin.sendCommand(["INFO", "commandstats"]));
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1] as string;
    if (!/^(info|config|ping|hello|client|script|eval$)/.test(name)) calls[name] = Number(match[2]);
  }
  return calls;
}

/** The commands clients send while it runs (MONITOR), each with the commands its script ran. */
async function monitor(url: string): Promise<{ stop(): Promise<{ command: string; ran: string[] }[]> }> {
  const { port } = new URL(url);
  const socket = connect({ host: "127.0.0.1", port: Number(port) });
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const sent: { command: string; ran: string[] }[] = [];
  let rest = "";
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    ready = resolve;
  });
  socket.on("data", (chunk) => {
    const lines = (rest + chunk.toString("utf8")).split("\r\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "+OK") ready();
      const match = /^\+[\d.]+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (match === null) continue;
      const command = (match[2] as string).toLowerCase();
      if (match[1] === "lua") sent[sent.length - 1]?.ran.push(command);
      else if (!/^(info|config|ping|client|hello|script)$/.test(command)) sent.push({ command, ran: [] });
    }
  });
  socket.write("MONITOR\r\n");
  await started;
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      return sent;
    },
  };
}

// A Lua loop that keeps the single-threaded server busy (about 100-500 ms here), so the commands
// sent meanwhile are all in flight at once, whatever the machine's load.
const BUSY = "for i = 1, tonumber(ARGV[1]) do end return 1";

describe.skipIf(skipWithoutRedis)("redis: commands per cold key", () => {
  let redis: RedisProcess;
  let admin: Admin;
  let blocker: Admin;
  beforeAll(async () => {
    redis = await startRedis();
    admin = createClient({ url: redis.url });
    blocker = createClient({ url: redis.url });
    await Promise.all([admin.connect(), blocker.connect()]);
  });
  afterAll(async () => {
    await Promise.all([admin?.quit(), blocker?.quit()]);
    await redis?.stop();
  });
  beforeEach(async () => {
    await admin.sendCommand(["FLUSHALL"]);
  });

  /** Starts the busy loop and waits until the server is inside it. */
  async function block(): Promise<{ busy: Promise<unknown> }> {
    const busy = blocker.sendCommand(["EVAL", BUSY, "0", "30000000"]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { busy }; // wrapped: an async function returning the promise itself would wait for it
  }

  for (const tiers of [true, false]) {
    const label = tiers ? "memory + Redis" : "Redis alone";
    it(`${label}: 10 callers of a cold key whose read is in flight while another key is written send 1 read`, async () => {
      const cache = new lib.Cache().setup(tiers ? ["mem://", redis.url] : redis.url, { suppress: false });
      let runs = 0;
      const load = cache.cached({ ttl: "1m", key: "user:{0}" })(async function user(id: string) {
        runs++;
        return { id };
      });
      await cache.ping(); // connected, scripts aside
      await admin.sendCommand(["CONFIG", "RESETSTAT"]);
      const { busy } = await block();
      const first = load("1");
      const write = cache.set("other", 1); // a write on the same route while the read is queued
      await new Promise((resolve) => setTimeout(resolve, 5));
      const rest = Array.from({ length: 9 }, () => load("1"));
      await busy;
      expect(await Promise.all([first, ...rest, write])).toEqual([...Array(10).fill({ id: "1" }), true]);
      expect(runs).toBe(1);
      const calls = await commandCalls(admin);
      expect(calls.get).toBe(1);
      expect(calls.set).toBe(2); // "other" and the loaded value
      expect(load.stats()).toMatchObject({ hits: 0, misses: 10 });
      await cache.close();
    });
  }

  it("memory + Redis, lock: true: a cold key costs 1 read, 1 lock script, 1 SET and 1 unlock", async () => {
    const cache = new lib.Cache().setup(["mem://", redis.url], { suppress: false });
    let runs = 0;
    const load = cache.cached({ ttl: "1m", key: "user:{0}", lock: true })(async function user(id: string) {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { id };
    });
    await cache.ping();
    await load("warm"); // loads the scripts on this connection
    const watch = await monitor(redis.url);
    expect(await Promise.all(Array.from({ length: 10 }, () => load("1")))).toEqual(
      Array(10).fill({ id: "1" }),
    );
    expect(runs).toBe(2);
    // The read, then one script that checks the key and takes the lock, the store, the unlock.
    expect(await watch.stop()).toEqual([
      { command: "evalsha", ran: ["get"] },
      { command: "evalsha", ran: ["get", "set"] },
      { command: "set", ran: [] },
      { command: "evalsha", ran: ["get", "del"] },
    ]);
    await cache.close();
  });

  it("lock: true finds a value another process stored while it waited, and runs nothing", async () => {
    const url = redis.url;
    const a = new lib.Cache().setup(["mem://", url], { suppress: false });
    const b = new lib.Cache().setup(["mem://", url], { suppress: false });
    let runs = 0;
    const make = (cache: lib.Cache) =>
      cache.cached({ ttl: "1m", key: "user:{0}", lock: true })(async function user(id: string) {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 60));
        return { id, runs };
      });
    const [viaA, viaB] = [make(a), make(b)];
    const first = viaA("2");
    await new Promise((resolve) => setTimeout(resolve, 20)); // a holds the lock and is loading
    const second = viaB("2");
    expect(await Promise.all([first, second])).toEqual([
      { id: "2", runs: 1 },
      { id: "2", runs: 1 },
    ]);
    expect(runs).toBe(1);
    expect(await b.get("user:2")).toEqual({ id: "2", runs: 1 }); // copied into b's memory tier
    await Promise.all([a.close(), b.close()]);
  });
});
