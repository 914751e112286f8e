// The strategy conformance suite against Chromium's real IndexedDB, through idbBackend objects.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { strategySuite } from "../../conformance/strategy-suite";
import { idbStorages } from "./idb-target";

strategySuite(
  { describe, it, expect, beforeEach, afterEach },
  { name: "idb", lib, ...idbStorages("object") },
);
