// Caches a test file opens, cleared and closed after each test, so no test sees another's keys
// and no connection outlives its test.
import { afterEach } from "vitest";

interface Closable {
  clear(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** A list to push each opened cache into; registers the `afterEach` that empties it. */
export function closedAfterEach<T extends Closable>(): T[] {
  const opened: T[] = [];
  afterEach(async () => {
    await Promise.all(
      opened.splice(0).map(async (cache) => {
        await cache.clear();
        await cache.close();
      }),
    );
  });
  return opened;
}
