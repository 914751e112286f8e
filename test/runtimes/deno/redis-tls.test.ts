// rediss:// (TLS) against a TLS-only redis-server, on the deno entry, with a deno child process.
import * as lib from "../../../runtimes/deno";
import { redisTlsSuite } from "../../backends/redis-tls-suite";

redisTlsSuite(lib);
