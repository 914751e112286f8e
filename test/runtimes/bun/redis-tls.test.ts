// rediss:// (TLS) against a TLS-only redis-server, on the bun entry, with a bun child process.
import * as lib from "../../../runtimes/bun";
import { redisTlsSuite } from "../../backends/redis-tls-suite";

redisTlsSuite(lib);
