// Redis faults on the deno entry: a redis-server this file spawns is SIGKILLed under 1,000 calls,
// commands fail at once while it is down, the cache recovers after the restart, close() does not hang.
import * as lib from "../../../runtimes/deno";
import { redisFaultsSuite } from "../../backends/redis-faults-suite";

redisFaultsSuite(lib);
