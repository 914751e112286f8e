// Both conformance suites against unstorage's memory driver on the node entry: the backend alone,
// and with a memory tier in front (one shared pair of backend objects per storage).
import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { unstorageBackend } from "../../src/backends/unstorage";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";

const t = { describe, it, expect, beforeEach, afterEach };
const alone = {
  name: "unstorage-memory",
  lib,
  create: () => unstorageBackend(createStorage({ driver: memoryDriver() })),
};
const tiered = {
  name: "memory+unstorage-memory",
  lib,
  create: () => [lib.memoryBackend(), unstorageBackend(createStorage({ driver: memoryDriver() }))],
};

backendSuite(t, alone);
strategySuite(t, alone);
backendSuite(t, tiered);
strategySuite(t, tiered);
