// The backend conformance suite against Chromium's real IndexedDB, through idb:// (registered).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";
import { idb } from "../../../src/backends/idb";
import { backendSuite } from "../../conformance/backend-suite";
import { idbStorages } from "./idb-target";

lib.registerScheme(idb);

backendSuite({ describe, it, expect, beforeEach, afterEach }, { name: "idb", lib, ...idbStorages("url") });
