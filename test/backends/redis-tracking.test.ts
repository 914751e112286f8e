// RESP3 client tracking between two caches of one process, on the node entry; the suite is shared
// with the bun and deno runtime files (across processes: redis-processes.test.ts).
import { inject } from "vitest";
import * as lib from "../../runtimes/node";
import { redisTrackingSuite } from "./redis-tracking-suite";

redisTrackingSuite(lib, inject("redisUrl") ?? "redis://127.0.0.1:1");
