// The Redis backend's setup contract and round-trip economy, measured on a throwaway redis-server
// (so the server's command counter sees only this file): URL validation, no connection before the
// first command, a clean `close()`, and memory-tier reads that cost one round trip cold and none warm.
import { createConnection, createServer, type Socket } from "node:net";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { redisBackend } from "../../src/backends/redis";
import { type RedisProcess, startCountingProxy, startRedis } from "../support/redis-server";
import { skipWithoutRedis } from "../support/skip";

describe("redis:// setup without a server", () => {
  it("rejects unknown query parameters, a bad database path and bad numbers with CacheConfigError", () => {
    const cache = new lib.Cache();
    for (const url of [
      "redis://127.0.0.1:6379/0?bogus=1",
      "redis://127.0.0.1:6379/zero",
      "rediss://127.0.0.1:6379/0?connectTimeout=soon",
      "redis://127.0.0.1:6379/0?clientSide=maybe",
      // Longer than a timer can wait: it would fire at once (every connect failing, reconnects spinning).
      "redis://127.0.0.1:6379/0?connectTimeout=2147483648",
      "redis://127.0.0.1:6379/0?maxReconnectDelay=3000000000",
    ]) {
      expect(() => cache.setup(url), url).toThrow(lib.CacheConfigError);
    }
    expect(() => redisBackend({ connectTimeout: 2 ** 31 })).toThrow(/connectTimeout.*2147483647/);
    expect(() => redisBackend({ url: "http://127.0.0.1" })).toThrow(lib.CacheConfigError);
    expect(() => cache.setup("mem://?clientSide=true")).toThrow(/clientSide/);
  });

  it("does not echo a password in its messages", () => {
    const error = (() => {
      try {
        new lib.Cache().setup("redis://user:hunter2@127.0.0.1:6379/x");
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(lib.CacheConfigError);
    expect(error?.message).not.toMatch(/hunter2/);
  });
});

describe.skipIf(skipWithoutRedis)("redis backend on a throwaway server", () => {
  let redis: RedisProcess;
  let admin: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await startRedis();
    admin = createClient({ url: redis.url });
    admin.on("error", () => undefined);
    await admin.connect();
  });
  afterAll(async () => {
    admin.destroy();
    await redis.stop();
  });

  const clients = async () => (await admin.clientList()).length;

  it("connects on the first command, not at setup or construction, and close() quits", async () => {
    const idle = await clients();
    const cache = new lib.Cache().setup(`${redis.url}/3?keyPrefix=lazy:`);
    const backend = redisBackend({ url: `${redis.url}/3` });
    expect(await clients()).toBe(idle);
    await cache.set("a", 1);
    expect(await clients()).toBe(idle + 1);
    expect(await admin.sendCommand(["SELECT", "3"]).then(() => admin.sendCommand(["EXISTS", "lazy:a"]))).toBe(
      1,
    );
    await admin.sendCommand(["SELECT", "0"]);
    await cache.close();
    expect(await clients()).toBe(idle);
    expect(await cache.get("a")).toBe(1); // the next command opens it again
    await cache.close();
    await backend.close();
  });

  for (const [label, make] of [
    ['["mem://", redis]', (url: string) => new lib.Cache().setup(["mem://", url])],
    ["redis://…?clientSide=true", (url: string) => new lib.Cache().setup(`${url}&clientSide=true`)],
    ["[redis], { clientSide: true }", (url: string) => new lib.Cache().setup([url], { clientSide: true })],
  ] as const) {
    it(`${label}: a memory miss that hits Redis costs one round trip, a warm read none`, async () => {
      const proxy = await startCountingProxy(redis.port);
      const keyPrefix = `?keyPrefix=eco:${label.length}:`;
      const writer = new lib.Cache().setup(redis.url + keyPrefix);
      const reader = make(proxy.url + keyPrefix);
      try {
        await writer.set("k", { n: 1 }, { ttl: "1m" });
        await reader.get("absent"); // connects and loads the read script
        let before = proxy.writes();
        expect(await reader.get("k")).toEqual({ n: 1 });
        expect(proxy.writes() - before).toBe(1);
        before = proxy.writes();
        for (let i = 0; i < 100; i++) expect(await reader.get("k")).toEqual({ n: 1 });
        expect(proxy.writes() - before).toBe(0);
        expect(await reader.getExpire("k")).toBeGreaterThan(50_000); // the copy kept Redis's TTL
      } finally {
        await Promise.all([writer.close(), reader.close()]);
        await proxy.close();
      }
    });
  }

  for (const [label, target] of [
    ["redis://…?clientSide=true", `?keyPrefix=reuse:1:&clientSide=true`],
    ['["mem://", redis]', `?keyPrefix=reuse:2:`],
  ] as const) {
    it(`${label}: after close(), the next command does not serve a local copy another client changed meanwhile`, async () => {
      const url = redis.url + target.replace("&clientSide=true", "");
      const local = new lib.Cache().setup(label.startsWith("[") ? ["mem://", url] : redis.url + target);
      const other = new lib.Cache().setup(url);
      try {
        await local.set("k", "v1");
        expect(await local.get("k")).toBe("v1"); // held in the local tier
        await local.close();
        await other.set("k", "v2"); // no invalidation reaches a closed cache
        expect(await local.get("k")).toBe("v2");
      } finally {
        await Promise.all([local.close(), other.close()]);
      }
    });
  }

  it("redisBackend({ client }) uses the given client, connects it on first use, and close() quits only what it opened", async () => {
    const given = createClient({ url: `${redis.url}/4` });
    const backend = redisBackend({ client: given, keyPrefix: "given:" });
    expect(backend.capabilities.invalidations).toBe(false);
    expect(() => new lib.Cache().setup(backend, { clientSide: true })).toThrow(lib.CacheConfigError);
    const cache = new lib.Cache().setup(backend);
    expect(given.isOpen).toBe(false);
    await cache.set("a", [1, 2]);
    expect(given.isOpen).toBe(true);
    expect(await given.get("given:a")).toBe("[1,2]");
    await cache.close();
    expect(given.isOpen).toBe(false);

    const open = createClient({ url: `${redis.url}/4` });
    await open.connect();
    const shared = new lib.Cache().setup(redisBackend({ client: open, keyPrefix: "given:" }));
    expect(await shared.get("a")).toEqual([1, 2]);
    await shared.close();
    expect(open.isOpen).toBe(true); // the program opened it, the program closes it
    open.destroy();
  });

  it("redisBackend({ client }) adds its listeners to the client once, however often the cache is closed and reopened", async () => {
    const given = createClient({ url: `${redis.url}/4` });
    const cache = new lib.Cache().setup(redisBackend({ client: given, keyPrefix: "given:" }));
    try {
      for (let round = 0; round < 12; round++) {
        await cache.set("round", round);
        await cache.close();
      }
      expect([given.listenerCount("ready"), given.listenerCount("error")]).toEqual([1, 1]);
    } finally {
      await cache.close();
      given.destroy();
    }
  });

  it("lock: true on a prefix routed to Redis locks in Redis: two caches with their own default backend load once", async () => {
    let runs = 0;
    const make = () => {
      const cache = new lib.Cache().setup(`${redis.url}?keyPrefix=lockroute:`, { prefix: "user" });
      const load = cache.cached({ ttl: "1m", key: "user:{0}", lock: true })(async (id: string) => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return id;
      });
      return { cache, load };
    };
    const [a, b] = [make(), make()];
    try {
      expect(await Promise.all([a.load("1"), b.load("1"), a.load("1"), b.load("1")])).toEqual([
        "1",
        "1",
        "1",
        "1",
      ]);
      expect(runs).toBe(1);
    } finally {
      await Promise.all([a.cache.close(), b.cache.close()]);
    }
  });

  it("close() while the first connection is still opening settles that open, and the next command connects again", async () => {
    // The first connection is accepted and never answered (a server stuck in its handshake);
    // later ones reach Redis.
    const sockets: Socket[] = [];
    let accepted = 0;
    const proxy = createServer((client) => {
      sockets.push(client);
      client.on("error", () => undefined);
      if (++accepted === 1) return;
      const upstream = createConnection({ host: "127.0.0.1", port: redis.port });
      sockets.push(upstream);
      upstream.on("error", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    const port = await new Promise<number>((resolve) =>
      proxy.listen(0, "127.0.0.1", () => resolve((proxy.address() as { port: number }).port)),
    );
    const backend = redisBackend({ url: `redis://127.0.0.1:${port}`, keyPrefix: "reopen:" });
    const cache = new lib.Cache().setup(backend, { suppress: false, timeout: 1000 });
    try {
      const opening = backend.init().then(
        () => "opened",
        (error: unknown) => error,
      );
      while (accepted === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await backend.close();
      const settled = await Promise.race([
        opening,
        new Promise((resolve) => setTimeout(() => resolve("still pending 1 s after close()"), 1000)),
      ]);
      expect(settled).toBeInstanceOf(lib.CacheBackendError);
      await cache.set("a", 1);
      expect(await cache.get("a")).toBe(1);
      expect(accepted).toBe(2);
    } finally {
      await cache.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("without clientSide it works for a user that may not run CLIENT (no tracking command is sent)", async () => {
    await admin.sendCommand(["ACL", "SETUSER", "noclient", "on", ">pw", "~*", "&*", "+@all", "-client"]);
    const url = redis.url.replace("redis://", "redis://noclient:pw@");
    const cache = new lib.Cache().setup(`${url}?keyPrefix=noclient:`, { suppress: false, timeout: 2000 });
    try {
      expect(await cache.set("a", 1)).toBe(true);
      expect(await cache.get("a")).toBe(1);
    } finally {
      await cache.close();
      await admin.sendCommand(["ACL", "DELUSER", "noclient"]);
    }
  });

  it("a wrong or missing password, a user without CLIENT and a database out of range say what to check, never the password", async () => {
    const password = "p@ss:w/rd%?#";
    await admin.sendCommand([
      "ACL",
      "SETUSER",
      "creds",
      "on",
      `>${password}`,
      "~*",
      "&*",
      "+@all",
      "-client",
    ]);
    const host = redis.url.replace("redis://", "");
    const cases = [
      [`redis://creds:${encodeURIComponent("wrong-hunter2")}@${host}/0`, /check the user name and password/],
      [`redis://nosuchuser:hunter2@${host}/0`, /check the user name and password/],
      [`redis://creds:${encodeURIComponent(password)}@${host}/0?clientSide=true`, /allowed CLIENT TRACKING/],
      [`${redis.url}/99`, /database index/],
    ] as const;
    try {
      for (const [url, remedy] of cases) {
        const cache = new lib.Cache().setup(url, { suppress: false, timeout: 2000 });
        try {
          for (let attempt = 0; attempt < 2; attempt++) {
            // The first command waits for the connection; the second fails at once while it retries.
            const error = await cache.get("a").then(
              () => undefined,
              (caught: unknown) => caught as Error,
            );
            expect(error, url).toBeInstanceOf(lib.CacheBackendError);
            expect(error?.message, url).toMatch(remedy);
            expect(error?.message).not.toMatch(/hunter2|p@ss/);
          }
        } finally {
          await cache.close();
        }
      }
      const right = new lib.Cache().setup(`redis://creds:${encodeURIComponent(password)}@${host}/3`, {
        suppress: false,
      });
      try {
        await right.set("encoded", 1);
        expect(await right.get("encoded")).toBe(1);
      } finally {
        await right.close();
      }
    } finally {
      await admin.sendCommand(["ACL", "DELUSER", "creds"]);
    }
  });

  it("a command that close() overtakes settles with CacheBackendError saying the cache was closed", async () => {
    const cache = new lib.Cache().setup(`${redis.url}?keyPrefix=overtaken:`, {
      suppress: false,
      timeout: 2000,
    });
    try {
      await cache.set("warm", 1);
      // The first incr loads its script first: close() lands between that and the EVALSHA.
      const incr = cache.incr("n").catch((caught: unknown) => caught as Error);
      await cache.close();
      const error = await incr;
      if (typeof error !== "number") {
        expect(error).toBeInstanceOf(lib.CacheBackendError);
        expect(error.message).toMatch(/closed/);
        expect(error.message).not.toMatch(/before open\(\)/);
      }
      await Promise.all(Array.from({ length: 2500 }, (_, i) => cache.set(`k${i}`, i)));
      let seen = 0;
      const scanned = (async () => {
        for await (const _ of cache.scan("*")) if (++seen === 1) void cache.close();
      })().then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      const failure = await scanned;
      expect(failure).toBeInstanceOf(lib.CacheBackendError);
      expect(failure?.message).toMatch(/closed/);
      expect(failure?.message).not.toMatch(/before open\(\)/);
      expect(await cache.get("k1")).toBe(1); // the next command connects again
    } finally {
      await cache.close();
    }
  });

  it("clear() with a key prefix removes only that prefix; without one it empties the database", async () => {
    const mine = new lib.Cache().setup(`${redis.url}/5?keyPrefix=mine:`);
    const theirs = new lib.Cache().setup(`${redis.url}/5?keyPrefix=theirs:`);
    const whole = new lib.Cache().setup(`${redis.url}/5`);
    try {
      await Promise.all([mine.set("a", 1), mine.set("b", 2), theirs.set("a", 3)]);
      expect(await mine.getKeysCount()).toBe(2);
      await mine.clear();
      expect(await mine.getKeysCount()).toBe(0);
      expect(await theirs.get("a")).toBe(3);
      expect(await whole.getKeysCount()).toBe(1);
      await whole.clear();
      expect(await theirs.get("a", "gone")).toBe("gone");
    } finally {
      await Promise.all([mine.close(), theirs.close(), whole.close()]);
    }
  });
});
