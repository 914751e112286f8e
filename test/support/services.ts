// vitest global setup: starts the services Redis-backed tests need (a redis-server on a free
// loopback port and the Upstash-compatible gateway in front of it) once per test run, hands their
// addresses to the tests through `provide`/`inject` (works in Node, Bun, Deno, workerd and
// Chromium), and stops them afterwards. Without redis-server: nothing is provided and those tests
// skip outside CI; under CI=true the run fails here, naming the package to install.
import type { TestProject } from "vitest/node";
import { startRedis } from "./redis-server";
import { hasSystemPackage, isCI } from "./system.mjs";
import { startGateway } from "./upstash-gateway";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string | undefined;
    upstashUrl: string | undefined;
    upstashToken: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!hasSystemPackage("redis-server")) {
    if (isCI) throw new Error("redis-server is missing: install it with `apt-get install -y redis-server`");
    project.provide("redisUrl", undefined);
    project.provide("upstashUrl", undefined);
    project.provide("upstashToken", undefined);
    return async () => undefined;
  }
  const redis = await startRedis();
  const gateway = await startGateway({ redisUrl: redis.url });
  project.provide("redisUrl", redis.url);
  project.provide("upstashUrl", gateway.url);
  project.provide("upstashToken", gateway.token);
  return async () => {
    await gateway.close();
    await redis.stop();
  };
}
