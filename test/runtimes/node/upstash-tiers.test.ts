// The backend conformance suite on tiers: memory in front of Upstash (the gateway in front of the
// real redis-server), on the node entry. Each storage is one memory backend plus one namespace,
// so caches given the same storage share both tiers.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/node";
import { backendSuite } from "../../conformance/backend-suite";
import { skipWithoutRedis } from "../../support/skip";
import { upstashTarget, upstashUrl } from "../../support/upstash-target";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };

describe.skipIf(skipWithoutRedis)("memory in front of upstash on node", () => {
  backendSuite(t, {
    name: "memory+upstash",
    lib,
    ...upstashTarget(lib, "node-tiers", (ns) => [lib.memoryBackend(), upstashUrl(address, ns)]),
  });
});
