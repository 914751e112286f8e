// The backend and strategy conformance suites against Upstash (the gateway in front of the real
// redis-server) inside workerd, through `@upstash/redis/cloudflare`: the basic suite on the
// `upstash://` URL once `registerScheme(upstash)` ran, the strategy suite on `upstashBackend()`.
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import * as lib from "../../../runtimes/workerd";
import { upstash, upstashBackend } from "../../../src/backends/upstash.workerd";
import { upstashSuites } from "../../conformance/upstash-suites";
import { upstashUrl } from "../../support/upstash-target";

const t = { describe, it, expect, beforeEach, afterEach };
const address = { url: inject("upstashUrl") ?? "", token: inject("upstashToken") ?? "" };

describe.skipIf(address.url === "")("upstash on workerd", () => {
  it("before registerScheme(upstash), upstash:// names the import that serves it", () => {
    expect(() => new lib.Cache().setup(upstashUrl(address, "unused:"))).toThrow(
      /not registered on workerd.*import \{ upstash \} from "isocache\/backends\/upstash".*registerScheme\(upstash\)/,
    );
  });

  describe("registered", () => {
    beforeAll(() => lib.registerScheme(upstash));
    upstashSuites(t, lib, address, (namespace) =>
      upstashBackend({ url: address.url, token: address.token, namespace }),
    );
  });
});
