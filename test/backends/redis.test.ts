// The backend and strategy conformance suites against the real redis-server, on the node entry:
// once through `redis://` and once with a memory tier in front (`["mem://", "redis://…"]`).
import { afterEach, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../runtimes/node";
import { backendSuite } from "../conformance/backend-suite";
import { strategySuite } from "../conformance/strategy-suite";
import { skipWithoutRedis } from "../support/skip";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const t = { describe, it, expect, beforeEach, afterEach };
const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";

function target(tag: string, tiered: boolean) {
  let made: string[] = [];
  return {
    name: tiered ? "memory+redis" : "redis",
    lib,
    create: () => {
      const { url, prefix } = freshRedisUrl(redisUrl, tag);
      made.push(prefix);
      return tiered ? ["mem://", url] : url;
    },
    cleanup: async () => {
      const prefixes = made;
      made = [];
      await dropPrefixes(redisUrl, prefixes);
    },
  };
}

describe.skipIf(skipWithoutRedis)("redis backend (node)", () => {
  backendSuite(t, target("basic", false));
  strategySuite(t, target("strategy", false));
  backendSuite(t, target("tier-basic", true));
  strategySuite(t, target("tier-strategy", true));
});
