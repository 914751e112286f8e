// The strategy conformance suite against the memory backend, on the deno entry.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/deno";
import { strategySuite } from "../../conformance/strategy-suite";

strategySuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: () => lib.memoryBackend() },
);
