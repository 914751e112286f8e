// Background refreshes (`hit`'s updateAfter, `early`'s) write through to the cache, not into a
// transaction, so they are single-flighted cache-wide: a refresh started inside a transaction and
// one started outside at the same moment run once between them.
import { describe, expect, it } from "vitest";
import { Cache } from "../../runtimes/node";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loader whose runs after the first wait for `open()`; `runs` counts every start. */
function gated() {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const state = { runs: 0, open };
  const fn = async function feed(_id: string): Promise<number> {
    state.runs++;
    const run = state.runs;
    if (run > 1) await gate;
    return run;
  };
  return { state, fn };
}

/**
 * Runs `call` inside a transaction, then once outside while the transaction is still open (so
 * both see the counters as they were: the transaction's writes are its own until it commits),
 * collecting the background work they hand to `waitUntil`.
 */
async function insideThenOutside(cache: Cache, call: () => Promise<unknown>): Promise<Promise<unknown>[]> {
  const background: Promise<unknown>[] = [];
  const waitUntil = (work: Promise<unknown>) => {
    background.push(work);
  };
  await cache.withRequest({ waitUntil }, async () => {
    let calledInside: () => void = () => {};
    const inside = new Promise<void>((resolve) => {
      calledInside = resolve;
    });
    const outside = inside.then(() => call());
    await cache.transaction(async () => {
      await call();
      calledInside();
      await outside;
    });
  });
  return background;
}

describe("background refreshes inside a transaction are single-flighted cache-wide", () => {
  it("hit: one updateAfter refresh between a transaction and a caller outside", async () => {
    const cache = new Cache();
    const { state, fn } = gated();
    const top = cache.hit({ ttl: "1m", cacheHits: 3, updateAfter: 1 })(fn);
    expect(await top("a")).toBe(1);
    const background = await insideThenOutside(cache, () => top("a"));
    await sleep(20);
    expect(state.runs).toBe(2);
    state.open();
    await Promise.all(background);
    expect(state.runs).toBe(2);
    expect(await cache.get(await top.key("a"))).toBe(2);
  });

  it("early: one refresh between a transaction and a caller outside", async () => {
    const cache = new Cache();
    const { state, fn } = gated();
    const feed = cache.early({ ttl: "1m", earlyTtl: "1s" })(fn);
    expect(await feed("a")).toBe(1);
    const stored = (await cache.get(await feed.key("a"))) as { value: number; refreshAt: number };
    await cache.set(await feed.key("a"), { ...stored, refreshAt: 0 }, { ttl: "1m" });
    const background = await insideThenOutside(cache, () => feed("a"));
    await sleep(20);
    expect(state.runs).toBe(2);
    state.open();
    await Promise.all(background);
    expect(state.runs).toBe(2);
  });
});
