// rediss:// (TLS) on the node entry; the suite is shared with the bun and deno runtime files.
import * as lib from "../../runtimes/node";
import { redisTlsSuite } from "./redis-tls-suite";

redisTlsSuite(lib);
