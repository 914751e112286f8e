// Both conformance suites against the fs backend on the deno entry, through file:// URLs on a real
// temporary directory (node:fs/promises of deno itself).
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { fileUrl, tempDirs } from "../../backends/fs-temp";
import { backendSuite } from "../../conformance/backend-suite";
import { strategySuite } from "../../conformance/strategy-suite";

const dirs = tempDirs("fs-deno");
afterAll(() => dirs.remove());
const target = { name: "fs", lib, create: () => fileUrl(dirs.next()), cleanup: dirs.cleanup };

backendSuite({ describe, it, expect, beforeEach, afterEach }, target);
strategySuite({ describe, it, expect, beforeEach, afterEach }, target);
