// The fs backend across real node processes (see fs-processes-suite.ts).
import { fsProcessesSuite } from "./fs-processes-suite";

fsProcessesSuite("node");
