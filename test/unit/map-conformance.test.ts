// Both conformance suites against a custom backend that expires nothing (`nativeTtl: false`), so
// the core keeps every TTL, lock TTLs included, in the records: what a user's own Map-like backend gets.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../runtimes/node";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { mapBackend } from "../support/map-backend";

const target = { name: "map (nativeTtl: false)", lib, create: () => mapBackend() };

backendSuite({ describe, it, expect, beforeEach, afterEach }, target);
strategySuite({ describe, it, expect, beforeEach, afterEach }, target);
