// The backend and strategy conformance suites against Upstash (the gateway in front of the real
// redis-server) on the deno entry, set up through the lazily loaded `upstash://` scheme.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { backendSuite } from "../../conformance/backend-suite";
import { strategySuite } from "../../conformance/strategy-suite";
import { skipWithoutRedis } from "../../support/skip";
import { upstashTarget, upstashUrl } from "../../support/upstash-target";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };

describe.skipIf(skipWithoutRedis)("upstash on deno", () => {
  backendSuite(t, {
    name: "upstash",
    lib,
    ...upstashTarget(lib, "deno-basic", (ns) => upstashUrl(address, ns)),
  });
  strategySuite(t, {
    name: "upstash",
    lib,
    ...upstashTarget(lib, "deno-strategy", (ns) => upstashUrl(address, ns)),
  });
});
