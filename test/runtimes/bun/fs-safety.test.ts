// The fs backend's directory safety (see test/backends/fs-safety-suite.ts) on the bun entry,
// through bun's own node:fs.
import * as lib from "../../../runtimes/bun";
import { fsSafetySuite } from "../../backends/fs-safety-suite";

fsSafetySuite(lib, "bun");
