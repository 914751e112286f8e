// The backend conformance suite: SPEC 2 (setup), 3 (durations), 4 (basic API) and 9 (errors),
// written once with the test framework passed in, run by every runtime against every backend
// it can host. It calls only `t` and `target.lib`, so each runtime tests its own entry.
import { adminTests } from "./basic-admin";
import { customTypeTests } from "./basic-custom-types";
import { expiryTests } from "./basic-expiry";
import { foreignTests } from "./basic-foreign";
import { createHarness } from "./basic-harness";
import { keyTests } from "./basic-keys";
import { lockTests } from "./basic-locks";
import { matchTests } from "./basic-match";
import { orderTests } from "./basic-order";
import { readWriteTests } from "./basic-read-write";
import { routingTests } from "./basic-routing";
import { setupTests } from "./basic-setup";
import { signingTests } from "./basic-signing";
import { valueTests } from "./basic-values";
import type { SuiteTarget, TestApi } from "./types";

export type {
  CacheLike,
  IsocacheModule,
  SetupOptions,
  SuiteTarget,
  TestApi,
} from "./types";

/**
 * Registers the backend conformance suite for one storage on one runtime entry.
 * @example
 * import { describe, it, expect, beforeEach, afterEach } from "vitest";
 * import * as lib from "../../../runtimes/node";
 * backendSuite({ describe, it, expect, beforeEach, afterEach }, { name: "memory", lib, create: () => lib.memoryBackend() });
 */
export function backendSuite(t: TestApi, target: SuiteTarget): void {
  t.describe(`isocache backend "${target.name}" on the ${target.lib.runtime} entry`, () => {
    const h = createHarness(t, target);
    readWriteTests(h);
    matchTests(h);
    expiryTests(h);
    adminTests(h);
    lockTests(h);
    keyTests(h);
    valueTests(h);
    customTypeTests(h);
    signingTests(h);
    foreignTests(h);
    routingTests(h);
    setupTests(h);
    orderTests(h);
  });
}
