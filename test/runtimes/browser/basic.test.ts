// The backend conformance suite (basic API) against the memory backend, on the browser entry.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { backendSuite } from "../../conformance/backend-suite";

backendSuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "memory", lib, create: () => lib.memoryBackend() },
);
