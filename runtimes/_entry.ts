import { memoryBackend } from "../src/backends/memory";
import type { Platform } from "../src/core/cache";
import { type Clock, systemClock } from "../src/core/clock";
import type { ContextFactory } from "../src/core/context";
import type { ObjectAdapter, SchemeFactory } from "../src/core/setup";
import { readPositiveInt, rejectUnknownParams } from "../src/core/setup";

/** Entries served by every runtime. */
const memoryScheme: SchemeFactory = (_url, params, env) => {
  const size = readPositiveInt(params, "size", 10_000, "memory");
  rejectUnknownParams(params, ["size"], "memory");
  return memoryBackend({ size, clock: env.clock });
};

/** Assembles a runtime's platform: its context storage, the schemes it serves on top of `mem://`, its clock. */
export function definePlatform(
  runtime: string,
  context: ContextFactory,
  schemes: Readonly<Record<string, SchemeFactory>> = {},
  adapters: readonly ObjectAdapter[] = [],
  clock: Clock = systemClock,
): Platform {
  return {
    runtime,
    context,
    schemes: { mem: memoryScheme, ...schemes },
    adapters,
    defaultUrl: "mem://",
    clock,
  };
}
