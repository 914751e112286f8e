// Where the Upstash backend on the node entry finds its REST URL and token: the environment, the
// `upstash://` URL or the options, and the CacheConfigError when none gives them.
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/node";
import { upstashBackend } from "../../../src/backends/upstash";
import { upstashEnvSuite } from "../../conformance/upstash-env";
import { skipWithoutRedis } from "../../support/skip";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };

describe.skipIf(skipWithoutRedis)("upstash env on node", () => {
  upstashEnvSuite(t, lib, address, upstashBackend);
});
