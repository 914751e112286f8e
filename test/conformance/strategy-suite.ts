// The strategy and features conformance suite: SPEC 5 (strategies, keys, decorators), 6
// (invalidation, tags, context) and 7 (middlewares, callbacks, transactions, stats), written once
// with the test framework passed in and run by every runtime against every storage it can host.
// It calls only `t` and `target.lib`, never a storage's internals, so the same tests hold the
// memory backend, Redis, KV and IndexedDB to one behaviour.
import { cachedTests } from "./strategy-cached";
import { contextTests } from "./strategy-context";
import { guardTests } from "./strategy-guards";
import { createStrategyHarness } from "./strategy-harness";
import { invalidationTests } from "./strategy-invalidation";
import { iteratorTests } from "./strategy-iterator";
import { keyTests } from "./strategy-keys";
import { refreshTests } from "./strategy-refresh";
import { scopeTests } from "./strategy-scope";
import { transactionTests } from "./strategy-transactions";
import { transactionKeyTests } from "./strategy-transactions-keys";
import { transactionLoadTests } from "./strategy-transactions-loads";
import type { StrategySuiteTarget } from "./strategy-types";
import type { TestApi } from "./types";

export type { StrategyCacheLike, StrategyModule, StrategySuiteTarget } from "./strategy-types";
export type { TestApi } from "./types";

/**
 * Registers the strategy conformance suite for one storage on one runtime entry.
 * @example
 * import { describe, it, expect, beforeEach, afterEach } from "vitest";
 * import * as lib from "../../../runtimes/node";
 * strategySuite({ describe, it, expect, beforeEach, afterEach }, { name: "memory", lib, create: () => lib.memoryBackend() });
 */
export function strategySuite(t: TestApi, target: StrategySuiteTarget): void {
  t.describe(`isocache strategies on "${target.name}" with the ${target.lib.runtime} entry`, () => {
    const h = createStrategyHarness(t, target);
    cachedTests(h);
    keyTests(h);
    refreshTests(h);
    iteratorTests(h);
    guardTests(h);
    invalidationTests(h);
    scopeTests(h);
    contextTests(h);
    transactionTests(h);
    transactionKeyTests(h);
    transactionLoadTests(h);
  });
}
