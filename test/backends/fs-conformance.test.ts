// Both conformance suites against the fs backend on the node entry, through `file://` URLs on a
// real temporary directory: every cache given the same URL opens its own backend object on the
// same directory, so sharing between caches goes through the files and their lock files.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { fileUrl, tempDirs } from "./fs-temp";

const dirs = tempDirs("fs-conformance");
afterAll(() => dirs.remove());
const target = { name: "fs", lib, create: () => fileUrl(dirs.next()), cleanup: dirs.cleanup };

backendSuite({ describe, it, expect, beforeEach, afterEach }, target);
strategySuite({ describe, it, expect, beforeEach, afterEach }, target);
