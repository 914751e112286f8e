// The fs backend and a user's files at its key file names (see test/backends/fs-foreign-suite.ts)
// on the deno entry, through deno's own node:fs.
import * as lib from "../../../runtimes/deno";
import { fsForeignSuite } from "../../backends/fs-foreign-suite";

fsForeignSuite(lib, "deno");
