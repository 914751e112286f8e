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
