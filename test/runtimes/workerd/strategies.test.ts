// The strategy conformance suite against the memory backend, on the workerd entry.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { strategySuite } from "../../conformance/strategy-suite";

strategySuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: () => lib.memoryBackend() },
);
