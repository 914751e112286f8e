// The context fallback (no AsyncLocalStorage: browsers, the default entry) on Node, through the
// default entry: the library's inner scopes stay out of the caller's commands there too.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/default";
import { contextTests } from "../conformance/strategy-context";
import { createStrategyHarness } from "../conformance/strategy-harness";

describe("the context fallback of the default entry", () => {
  const h = createStrategyHarness(
    { describe, it, expect, beforeEach, afterEach },
    { name: "memory", lib, create: () => lib.memoryBackend() },
  );
  contextTests(h);
});
