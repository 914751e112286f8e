// Redis faults (SIGKILL under load, commands while down, recovery, a frozen server) on the node
// entry; the suite is shared with the bun and deno runtime files.
import * as lib from "../../runtimes/node";
import { redisFaultsSuite } from "./redis-faults-suite";

redisFaultsSuite(lib);
