// The fs backend's directory safety (see test/backends/fs-safety-suite.ts) on the deno entry,
// through deno's own node:fs.
import * as lib from "../../../runtimes/deno";
import { fsSafetySuite } from "../../backends/fs-safety-suite";

fsSafetySuite(lib, "deno");
