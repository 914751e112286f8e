// The fs backend and a user's files at its key file names (see fs-foreign-suite.ts) on the node entry.
import * as lib from "../../runtimes/node";
import { fsForeignSuite } from "./fs-foreign-suite";

fsForeignSuite(lib, "node");
