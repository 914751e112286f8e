// The backend conformance suite against the real redis-server on the deno entry, with a memory tier
// in front (`["mem://", "redis://…"]`, kept current by RESP3 client tracking).
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { redisTarget } from "../../backends/redis-targets";
import { backendSuite } from "../../conformance/backend-suite";
import { skipWithoutRedis } from "../../support/skip";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";

describe.skipIf(skipWithoutRedis)("redis tier basic (deno)", () => {
  backendSuite(
    { describe, it, expect, beforeEach, afterEach },
    redisTarget(lib, redisUrl, "tier-basic", true),
  );
});
