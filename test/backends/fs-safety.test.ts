// The fs backend's directory safety (see fs-safety-suite.ts) on the node entry.
import * as lib from "../../runtimes/node";
import { fsSafetySuite } from "./fs-safety-suite";

fsSafetySuite(lib, "node");
