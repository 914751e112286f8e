// The Hono middleware suite (SPEC 8): written once with the test framework, the runtime entry, the
// storage and the runtime's HTTP server passed in, like test/conformance/. Each runtime serves the
// app its own way (see test/runtimes/*/hono.test.ts); a storage other than memory plugs in through
// `create` (Redis later) without touching the tests.

import { createHonoHarness, type HonoSuiteTarget, type TestApi } from "./harness";
import { controlTests } from "./suite-control";
import { etagTests } from "./suite-etag";
import { httpTests } from "./suite-http";
import { invalidateTests } from "./suite-invalidate";
import { replayTests } from "./suite-replay";
import { responseTests } from "./suite-response";
import { securityTests } from "./suite-security";
import { strategyTests } from "./suite-strategies";

export type { HonoSuiteTarget, Served } from "./harness";

/**
 * Registers the Hono middleware suite for one storage on one runtime's HTTP server.
 * @example
 * honoSuite({ describe, it, expect, beforeEach, afterEach }, { name: "memory", lib, create: (clock) => lib.memoryBackend({ clock }), serve });
 */
export function honoSuite(t: TestApi, target: HonoSuiteTarget): void {
  t.describe(`isocache/hono on "${target.name}" with the ${target.lib.runtime} entry`, () => {
    const h = createHonoHarness(t, target);
    responseTests(h);
    replayTests(h);
    securityTests(h);
    strategyTests(h);
    etagTests(h);
    controlTests(h);
    invalidateTests(h);
    httpTests(h);
  });
}
