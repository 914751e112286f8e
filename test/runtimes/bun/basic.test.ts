// The backend conformance suite (basic API) against the memory backend, on the bun entry.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/bun";
import { backendSuite } from "../../conformance/backend-suite";

backendSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: () => lib.memoryBackend() },
);
