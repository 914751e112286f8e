// The strategy conformance suite against miniflare's real Workers KV, through setup({ kv: env.CACHE }).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { strategySuite } from "../../conformance/strategy-suite";
import { kvStorages } from "./kv-target";

strategySuite({ describe, it, expect, beforeEach, afterEach }, { name: "kv", lib, ...kvStorages("object") });
