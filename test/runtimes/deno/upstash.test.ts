// The backend and strategy conformance suites against Upstash (the gateway in front of the real
// redis-server) on the deno entry, set up through the lazily loaded `upstash://` scheme.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { upstashSuites } from "../../conformance/upstash-suites";
import { skipWithoutRedis } from "../../support/skip";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };

describe.skipIf(skipWithoutRedis)("upstash on deno", () => {
  upstashSuites(t, lib, address);
});
