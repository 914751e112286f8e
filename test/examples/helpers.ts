// Shared by the example tests: start an example exactly as its npm script does (minus the build,
// which the runner has done), read the URL it prints, talk to it over loopback, stop it. Every
// child leads its own process group, so stopping it also stops what it started (workerd under
// miniflare); a child still alive when the test process exits is killed then.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { delimiter, join } from "node:path";
import { expect } from "vitest";
import { PKG_DIR } from "../package/helpers";

/** How long an example may take to print its URL; generous because the machine is shared. */
const START_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 5_000;
const BUILD_PREFIX = "npm run build --silent && ";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** An example process that printed the URL it listens on. */
export interface RunningExample {
  readonly url: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Stops the process group (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
}

/** Environment variables and command-line arguments for one example run. */
export interface ExampleOptions {
  env?: Record<string, string>;
  args?: string[];
}

/** The command of `npm run <script>` without its leading build step, checked to have one. */
export function scriptCommand(script: string): string {
  const scripts = JSON.parse(readFileSync(join(PKG_DIR, "package.json"), "utf8")).scripts ?? {};
  const command: unknown = scripts[script];
  if (typeof command !== "string") throw new Error(`package.json has no "${script}" script`);
  expect(command.startsWith(BUILD_PREFIX), `${script} builds first`).toBe(true);
  return command.slice(BUILD_PREFIX.length);
}

/**
 * Runs `npm run <script>`'s command through a shell, as npm does (node_modules/.bin on PATH),
 * with PORT=0 so the example picks a free loopback port, and resolves once it printed its URL.
 */
export function startExample(script: string, options: ExampleOptions = {}): Promise<RunningExample> {
  // "$@" passes the arguments through the shell unparsed, as `npm run <script> -- args` would.
  const command = `${scriptCommand(script)} "$@"`;
  const child = spawn("sh", ["-c", command, script, ...(options.args ?? [])], {
    cwd: PKG_DIR,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PATH: [join(PKG_DIR, "node_modules", ".bin"), process.env.PATH].join(delimiter),
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
      HOST: "127.0.0.1",
      PORT: "0",
      ...options.env,
    },
  });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  exited.then(() => running.delete(child));
  const stop = async () => {
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    killGroup(child, "SIGKILL"); // grandchildren that ignored SIGTERM
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${script}: ${why}; output:\n${output}`)));
    };
    const timer = setTimeout(() => fail(`no URL printed within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /https?:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0];
      if (url === undefined || settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stdout?.on("data", (more: Buffer) => {
        output += more.toString();
      });
      resolve({ url, output: () => output, stop });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code, signal) => fail(`exited (${signal ?? code}) before printing its URL`));
  });
}

/** Starts an example, runs `fn` with it, and always stops it. */
export async function withExample<T>(
  script: string,
  options: ExampleOptions,
  fn: (example: RunningExample) => Promise<T>,
): Promise<T> {
  const example = await startExample(script, options);
  try {
    return await fn(example);
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- ${script} printed:\n${example.output()}`,
      {
        cause: error,
      },
    );
  } finally {
    await example.stop();
  }
}

/**
 * A bounded GET over node:http that sends exactly `headers`, as curl or a CDN would. Not fetch():
 * the Fetch standard makes fetch() add `Cache-Control: no-cache` to any request carrying
 * `If-None-Match`, which (rightly) makes cacheControl() re-render instead of answering 304.
 */
export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers, timeout: 15_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        const fields = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const one of Array.isArray(value) ? value : [value ?? ""]) fields.append(name, one);
        }
        const body = status === 304 || status === 204 ? null : Buffer.concat(chunks);
        // A 304 must arrive without a body; keep what came so the test can see it.
        if (body === null && chunks.length > 0) fields.set("x-test-unexpected-body", String(chunks.length));
        resolve(new Response(body, { status, headers: fields }));
      });
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${url}: no answer within 15 s`)));
    request.on("error", reject);
  });
}

/**
 * The sequence every server example must serve for a fresh path: MISS (rendered, with an ETag),
 * HIT (the same bytes and ETag, from the cache), then 304 with no body for `If-None-Match`.
 * Returns the first body and ETag.
 */
export async function expectMissHitNotModified(url: string): Promise<{ body: string; etag: string }> {
  const miss = await get(url);
  const body = await miss.text();
  expect(miss.status, body).toBe(200);
  expect(miss.headers.get("x-cache")).toBe("MISS");
  const etag = miss.headers.get("etag");
  expect(etag).toMatch(/^(W\/)?"[^"]+"$/);

  const hit = await get(url);
  expect(hit.status).toBe(200);
  expect(hit.headers.get("x-cache")).toBe("HIT");
  expect(hit.headers.get("etag")).toBe(etag);
  expect(hit.headers.get("age")).toMatch(/^\d+$/);
  expect(await hit.text()).toBe(body);

  const notModified = await get(url, { "If-None-Match": etag as string });
  expect(notModified.status).toBe(304);
  expect(notModified.headers.get("x-test-unexpected-body")).toBeNull();
  expect(notModified.headers.get("etag")).toBe(etag);
  return { body, etag: etag as string };
}

/**
 * `Cache-Control: no-cache` skips the cached copy but stores the fresh one: a MISS with a newly
 * rendered body, which the next plain GET serves as a HIT.
 */
export async function expectNoCacheRefreshes(url: string, previousBody: string): Promise<string> {
  const fresh = await get(url, { "Cache-Control": "no-cache" });
  const body = await fresh.text();
  expect(fresh.status, body).toBe(200);
  expect(fresh.headers.get("x-cache")).toBe("MISS");
  expect(body).not.toBe(previousBody);
  const hit = await get(url);
  expect(hit.headers.get("x-cache")).toBe("HIT");
  expect(await hit.text()).toBe(body);
  return body;
}

/** A path segment no earlier run used, so runs sharing one Redis never see each other's entries. */
export function freshId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
