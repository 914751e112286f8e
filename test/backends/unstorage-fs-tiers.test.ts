// Both conformance suites on a memory tier in front of unstorage's fs driver (one shared pair of
// backend objects per storage), node entry.
import { createStorage } from "unstorage";
import fsDriver from "unstorage/drivers/fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { unstorageBackend } from "../../src/backends/unstorage";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { tempDirs } from "./fs-temp";

const dirs = tempDirs("unstorage-fs-tiers");
afterAll(() => dirs.remove());
const t = { describe, it, expect, beforeEach, afterEach };
const tiered = {
  name: "memory+unstorage-fs",
  lib,
  create: () => [
    lib.memoryBackend(),
    unstorageBackend(createStorage({ driver: fsDriver({ base: dirs.next() }) })),
  ],
  cleanup: dirs.cleanup,
};

backendSuite(t, tiered);
strategySuite(t, tiered);
