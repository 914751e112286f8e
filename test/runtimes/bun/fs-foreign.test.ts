// The fs backend and a user's files at its key file names (see test/backends/fs-foreign-suite.ts)
// on the bun entry, through bun's own node:fs.
import * as lib from "../../../runtimes/bun";
import { fsForeignSuite } from "../../backends/fs-foreign-suite";

fsForeignSuite(lib, "bun");
