// Both conformance suites on a memory tier in front of the fs backend (one shared pair of backend
// objects per storage, so every cache given the same storage shares both tiers), node entry.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { fsBackend } from "../../src/backends/fs";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { tempDirs } from "./fs-temp";

const dirs = tempDirs("fs-tiers");
afterAll(() => dirs.remove());
const target = {
  name: "memory+fs",
  lib,
  create: () => [lib.memoryBackend(), fsBackend({ dir: dirs.next() })],
  cleanup: dirs.cleanup,
};

backendSuite({ describe, it, expect, beforeEach, afterEach }, target);
strategySuite({ describe, it, expect, beforeEach, afterEach }, target);
