import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout } from "node:timers";
import { fileScheme } from "../src/backends/fs-scheme";
import { redisUrlScheme } from "../src/backends/redis-options";
import { lazyUpstashScheme } from "../src/backends/upstash-lazy";
import type { Platform } from "../src/core/cache";
import { coarseClock } from "../src/core/clock";
import { definePlatform } from "./_entry";

/** The clock of the server runtimes: one `Date.now()` per millisecond, its timer unref'd. */
const serverClock = coarseClock((reset, ms) => {
  setTimeout(reset, ms).unref();
});

/** The platform Node, Bun and Deno share: AsyncLocalStorage, file, Upstash and Redis over TCP. */
export function serverPlatform(runtime: string): Platform {
  return definePlatform(
    runtime,
    () => new AsyncLocalStorage(),
    {
      file: fileScheme,
      upstash: lazyUpstashScheme,
      redis: redisUrlScheme,
      rediss: redisUrlScheme,
    },
    [],
    serverClock,
  );
}
