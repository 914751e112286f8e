// The fs backend across real bun processes (see test/backends/fs-processes-suite.ts).
import { fsProcessesSuite } from "../../backends/fs-processes-suite";

fsProcessesSuite("bun");
