// Command order while a record is encoded (SPEC 4): a compressed or signed write takes a promise
// to encode; the commands on its key that come after it wait until it reaches the backend, while
// other keys' commands do not wait at all.
import { describe, expect, it } from "vitest";
import { type Backend, Cache } from "../../runtimes/node";
import { MemoryBackend } from "../../src/backends/memory";

const BIG = { text: "a value that is compressed before it is stored ".repeat(60) };

/**
 * A memory backend that logs each call it receives, as `method key`, in the order received; with
 * `init`, it has a one-time init that finishes when the test says.
 */
function recording(init?: Promise<void>): { backend: Backend; log: string[] } {
  const inner = new MemoryBackend({ size: 100 }) as unknown as Backend;
  const log: string[] = [];
  const backend = new Proxy(inner, {
    get(target, name, receiver) {
      if (name === "init") return init === undefined ? undefined : () => init;
      const value = Reflect.get(target, name, receiver);
      // No synchronous reader: every read is a logged call.
      if (name === "readSlot") return undefined;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const key = Array.isArray(args[0])
          ? `[${args[0].map((entry) => (Array.isArray(entry) ? entry[0] : entry))}]`
          : args[0];
        log.push(`${String(name)} ${String(key)}`);
        return value.apply(target, args);
      };
    },
  });
  return { backend, log };
}

describe("command order while a record is encoded", () => {
  it("the backend gets a key's commands in call order, and other keys' commands at once", async () => {
    const { backend, log } = recording();
    const cache = new Cache().setup(backend, { compress: true });
    const calls = [
      cache.set("k", BIG),
      cache.set("k", "small"),
      cache.get("other", null),
      cache.delete("k"),
      cache.set("k", "last"),
    ];
    // Before the compressed record is ready, only the other key's read has gone out.
    expect(log).toEqual(["get other"]);
    await Promise.all(calls);
    expect(log).toEqual(["get other", "set k", "set k", "delete k", "set k"]);
    expect(await cache.get("k")).toBe("last");
  });

  it("a command on several keys waits for every encoding write, and later commands wait for it", async () => {
    const { backend, log } = recording();
    const cache = new Cache().setup(backend, { secret: "s1" });
    const calls = [cache.set("a", BIG), cache.deleteMany(["b"]), cache.get("c", null)];
    expect(log).toEqual([]);
    await Promise.all(calls);
    expect(log).toEqual(["set a", "deleteMany [b]", "get c"]);
  });

  it("a command that comes just as init finishes waits behind the commands that waited for init", async () => {
    let finish = () => {};
    const init = new Promise<void>((resolve) => (finish = resolve));
    const { backend, log } = recording(init);
    const cache = new Cache().setup(backend);
    const calls = [cache.set("k", "first")];
    expect(log).toEqual([]);
    finish();
    // Runs after init's own reaction and before the waiting command's.
    const late = new Promise<void>((resolve) =>
      queueMicrotask(() => {
        calls.push(cache.set("k", "second"));
        resolve();
      }),
    );
    await late;
    await Promise.all(calls);
    expect(await cache.get("k")).toBe("second");
  });

  it("a read after an unawaited write sees it: get, getMany and a cached() hit on the memory backend", async () => {
    const cache = new Cache().setup("mem://?size=100", { compress: true });
    await cache.set("r", "old");
    const [, read, many] = await Promise.all([cache.set("r", BIG), cache.get("r"), cache.getMany(["r"])]);
    expect(read).toEqual(BIG);
    expect(many).toEqual([BIG]);

    let calls = 0;
    const load = cache.cached({ ttl: "1h", key: "user:{id}" })(async (id: string) => {
      calls += 1;
      return { id, calls };
    });
    expect(await load("1")).toEqual({ id: "1", calls: 1 });
    // The stored entry answers hits synchronously; a queued write must not be jumped.
    const [, hit] = await Promise.all([cache.set("user:1", { id: "1", calls: 99, pad: BIG }), load("1")]);
    expect(hit).toEqual({ id: "1", calls: 99, pad: BIG });
    expect(calls).toBe(1);
  });

  it("a write that fails to encode rejects without holding up the key's later commands", async () => {
    const cache = new Cache().setup("mem://?size=100", { compress: true });
    const results = await Promise.allSettled([
      cache.set("k", BIG),
      cache.set("k", () => "a function cannot be stored"),
      cache.set("k", "after"),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await cache.get("k")).toBe("after");
  });
});
