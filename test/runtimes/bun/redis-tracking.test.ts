// RESP3 client tracking between two caches (two connections) on the bun entry: a write through
// one evicts the other's memory tier through the server's invalidation push.
import { inject } from "vitest";
import * as lib from "../../../runtimes/bun";
import { redisTrackingSuite } from "../../backends/redis-tracking-suite";

redisTrackingSuite(lib, inject("redisUrl") ?? "redis://127.0.0.1:1");
