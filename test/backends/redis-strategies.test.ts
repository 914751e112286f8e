// The strategy conformance suite against the real redis-server on the node entry, through `redis://`.
// Each `create()` gets its own key prefix, so tests and files running in parallel never share keys.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { strategySuite } from "../conformance/strategy-suite";
import { skipWithoutRedis } from "../support/skip";
import { redisTarget } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";

describe.skipIf(skipWithoutRedis)("redis strategies (node)", () => {
  strategySuite(
    { describe, it, expect, beforeEach, afterEach },
    redisTarget(lib, redisUrl, "redis-strategies", false),
  );
});
