// The backend conformance suite against miniflare's real Workers KV, through kv://CACHE.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { backendSuite } from "../../conformance/backend-suite";
import { kvStorages } from "./kv-target";

backendSuite({ describe, it, expect, beforeEach, afterEach }, { name: "kv", lib, ...kvStorages("url") });
