// The backend and strategy suites against Upstash (the gateway in front of the real redis-server)
// for one runtime entry: the basic suite on `upstash://` URLs, the strategy suite on URLs too
// unless the runtime's file gives another target (bundled runtimes pass `upstashBackend()`), and
// the fault suite (requestTimeout, retries, failing or foreign answers) on `upstash://` URLs.
import { type GatewayAddress, upstashTarget, upstashUrl } from "../support/upstash-target";
import { backendSuite } from "./backend-suite";
import { strategySuite } from "./strategy-suite";
import type { StrategyModule } from "./strategy-types";
import type { IsocacheModule, TestApi } from "./types";
import { upstashFaultSuite } from "./upstash-faults";

/** The three suites on fresh namespaces tagged with the entry's runtime. */
export function upstashSuites(
  t: TestApi,
  lib: IsocacheModule & StrategyModule,
  address: GatewayAddress,
  strategyTarget: (namespace: string) => unknown = (namespace) => upstashUrl(address, namespace),
): void {
  const url = (namespace: string) => upstashUrl(address, namespace);
  backendSuite(t, { name: "upstash", lib, ...upstashTarget(lib, `${lib.runtime}-basic`, url) });
  strategySuite(t, {
    name: "upstash",
    lib,
    ...upstashTarget(lib, `${lib.runtime}-strategy`, strategyTarget),
  });
  upstashFaultSuite(t, lib, address);
}
