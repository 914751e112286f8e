// Both conformance suites against unstorage's fs driver on a real temporary directory, node
// entry (the memory-in-front tiers are in unstorage-fs-tiers.test.ts, to keep each file short).
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { unstorageBackend } from "../../src/backends/unstorage";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { tempDirs } from "./fs-temp";

const dirs = tempDirs("unstorage-fs");
afterAll(() => dirs.remove());
const t = { describe, it, expect, beforeEach, afterEach };
const alone = {
  name: "unstorage-fs",
  lib,
  create: () => unstorageBackend(createStorage({ driver: fsDriver({ base: dirs.next() }) })),
  cleanup: dirs.cleanup,
};

backendSuite(t, alone);
strategySuite(t, alone);

describe("unstorage's fs driver under concurrent writes", () => {
  it("a read while its key is written sees the old or the new value, never a miss", async () => {
    // The driver truncates the file before writing it; a read in between would find it empty.
    const backend = unstorageBackend(createStorage({ driver: fsDriver({ base: dirs.next() }) }));
    const values = ["a".repeat(4_000), "b".repeat(4_000)];
    await backend.set("k", values[0] as string);
    const odd: unknown[] = [];
    for (let round = 0; round < 100; round++) {
      const written = backend.set("k", values[(round + 1) % 2] as string);
      const reads = await Promise.all([backend.get("k"), backend.get("k"), backend.exists("k")]);
      await written;
      for (const read of reads.slice(0, 2)) if (!values.includes(read as string)) odd.push(read);
      if (reads[2] !== true) odd.push("exists: false");
    }
    expect(odd).toEqual([]);
  });
});
