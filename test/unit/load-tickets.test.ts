// Load tickets and shared loads that nobody hands back (an iterator dropped where timers never
// fire, a load whose promise never settles): past their age limit, the next caller of the key
// goes ahead. Time moves on the cache's injected clock only; the real timers never fire here.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Cache } from "../../runtimes/node";
import { InFlight, TICKET_MAX_AGE_MS } from "../../src/core/in-flight";

/** The age past which a ticket nobody renewed counts as abandoned (`TICKET_MAX_AGE_MS`). */
const LIMIT_MS = TICKET_MAX_AGE_MS;

/** A clock the test moves by hand. */
function handClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** `promise`, or a rejection once it has been pending `ms` of real time (a caller stuck on an abandoned load). */
function settled<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe("an iterator dropped without return() where timers never fire (Workers)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function tagged(cache: Cache) {
    const state = { runs: 0 };
    const feed = cache.iterator({ ttl: "1h", tags: ["feed"] })(async function* feed() {
      state.runs++;
      yield state.runs;
      yield 0;
    });
    return { state, feed };
  }

  it("lets later runs store once its ticket is past the age limit", async () => {
    vi.useFakeTimers(); // the recording's one-minute timer never fires, as on Workers
    const clock = handClock();
    const cache = new Cache({ clock });
    const { state, feed } = tagged(cache);
    const dropped = feed()[Symbol.asyncIterator]();
    expect(await dropped.next()).toEqual({ value: 1, done: false });
    await cache.deleteTags("feed");
    clock.advance(LIMIT_MS + 1);
    expect(await collect(feed())).toEqual([2, 0]);
    expect(await cache.get(await feed.key())).toEqual([2, 0]);
    expect(await collect(feed())).toEqual([2, 0]);
    expect(state.runs).toBe(2);
  });

  it("keeps its claim before the limit: a write meanwhile still holds its late store back", async () => {
    vi.useFakeTimers();
    const clock = handClock();
    const cache = new Cache({ clock });
    const { feed } = tagged(cache);
    const slow = feed()[Symbol.asyncIterator]();
    expect(await slow.next()).toEqual({ value: 1, done: false });
    clock.advance(LIMIT_MS - 1);
    await cache.set(await feed.key(), ["written"]);
    expect(await slow.next()).toEqual({ value: 0, done: false });
    expect((await slow.next()).done).toBe(true);
    expect(await cache.get(await feed.key())).toEqual(["written"]);
  });

  it("is not abandoned while it streams: each chunk renews its ticket", async () => {
    vi.useFakeTimers();
    const clock = handClock();
    const cache = new Cache({ clock });
    let runs = 0;
    const rows = cache.iterator({ ttl: "1h" })(async function* rows() {
      runs++;
      for (let n = 1; n <= 3; n++) yield `${runs}:${n}`;
    });
    const long = rows()[Symbol.asyncIterator]();
    for (let n = 1; n <= 3; n++) {
      expect((await long.next()).value).toBe(`1:${n}`);
      clock.advance(LIMIT_MS / 2);
    }
    // A second run now shares the live ticket: its last chunk renewed it, though it was made
    // longer ago than the limit, so the long run still stores when it ends.
    const second = rows()[Symbol.asyncIterator]();
    expect((await second.next()).value).toBe("2:1");
    expect((await long.next()).done).toBe(true);
    expect(await cache.get(await rows.key())).toEqual(["1:1", "1:2", "1:3"]);
    expect(await collect(second)).toEqual(["2:2", "2:3"]);
  });
});

describe("a shared load that never settles", () => {
  it("is shared until the age limit, then the next caller loads for itself", async () => {
    const clock = handClock();
    const cache = new Cache({ clock });
    let runs = 0;
    const never = new Promise<string>(() => {});
    const load = cache.cached({ ttl: "1h" })(async function load(id: string) {
      runs++;
      return runs === 1 ? never : `${id}:${runs}`;
    });
    const first = load("a");
    clock.advance(LIMIT_MS - 1);
    const joined = load("a");
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(runs).toBe(1); // a slow load is shared before the limit, not run twice
    clock.advance(2);
    expect(await settled(load("a"))).toBe("a:2");
    expect(runs).toBe(2);
    expect(await load("a")).toBe("a:2"); // stored: a hit now
    expect(runs).toBe(2);
    void first;
    void joined;
  });

  it("getOrSet: the same", async () => {
    const clock = handClock();
    const cache = new Cache({ clock });
    let runs = 0;
    const factory = () => {
      runs++;
      return runs === 1 ? new Promise<string>(() => {}) : Promise.resolve(`v${runs}`);
    };
    void cache.getOrSet("k", factory, { ttl: "1h" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(LIMIT_MS + 1);
    expect(await settled(cache.getOrSet("k", factory, { ttl: "1h" }))).toBe("v2");
    expect(await cache.get("k")).toBe("v2");
    expect(runs).toBe(2);
  });

  it("a load abandoned past the limit that settles after all does not store over the newer one", async () => {
    const clock = handClock();
    const cache = new Cache({ clock });
    let finish!: (value: string) => void;
    let runs = 0;
    const load = cache.cached({ ttl: "1h" })(async function late(_id: string) {
      runs++;
      if (runs === 1) return new Promise<string>((resolve) => (finish = resolve));
      return "fresh";
    });
    const first = load("a");
    await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(LIMIT_MS + 1);
    expect(await settled(load("a"))).toBe("fresh");
    finish("late");
    expect(await first).toBe("late"); // its own callers still get it
    expect(await cache.get(await load.key("a"))).toBe("fresh");
  });
});

describe("InFlight's tickets", () => {
  it("outlast every wait the library has: the iterator's one-minute pause, the 60 s lock TTLs", () => {
    expect(TICKET_MAX_AGE_MS).toBeGreaterThan(60_000);
  });

  it("sweeps out the abandoned tickets of other keys, so dropped iterators of many keys do not pile up", () => {
    const clock = handClock();
    const flights = new InFlight(clock);
    const dropped = Array.from({ length: 300 }, (_, n) => flights.ticket(`k${n}`));
    clock.advance(LIMIT_MS + 1);
    const fresh = Array.from({ length: 300 }, (_, n) => flights.ticket(`other${n}`));
    expect(dropped.every((ticket) => ticket.stale)).toBe(true);
    expect(fresh.some((ticket) => ticket.stale)).toBe(false);
  });

  it("shares one ticket among the loads of a key until its age limit", () => {
    const clock = handClock();
    const flights = new InFlight(clock);
    const first = flights.ticket("k");
    clock.advance(LIMIT_MS);
    expect(flights.ticket("k")).toBe(first);
    expect(flights.live("k", first)).toBe(true);
    clock.advance(1);
    expect(flights.live("k", first)).toBe(false);
    expect(first.stale).toBe(true);
    const next = flights.ticket("k");
    expect(next).not.toBe(first);
    flights.release("k", first);
    flights.release("k", first);
    expect(flights.ticket("k")).toBe(next); // handing the old one back leaves the new one alone
  });
});
