// The strategy conformance suite against the memory backend, on the bun entry.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/bun";
import { strategySuite } from "../../conformance/strategy-suite";

strategySuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: () => lib.memoryBackend() },
);
