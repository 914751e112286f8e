// A local Upstash-compatible REST gateway in front of a real redis-server, so `@upstash/redis`
// runs unmodified in tests: POST a command array to `/`, arrays of them to `/pipeline` and
// `/multi-exec`, Bearer token auth, `Upstash-Encoding: base64`, per-item pipeline errors. It counts
// HTTP requests and can inject faults; `/__control/*` does both from any runtime (workerd,
// Chromium) over HTTP. No npm package offers such a server, hence this one.
//
// Sessions keep parallel test files apart on the one shared gateway: `POST /__control/session`
// answers `{ token }`, a further token the gateway accepts, with its own request counter and its
// own fault; `?token=<it>` on `/__control/stats`, `/__control/fault` and `/__control/reset`
// addresses that session only. Without `?token` those paths act on the whole gateway as before.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createClient, RESP_TYPES } from "redis";

/**
 * A fault the gateway injects into the next `count` data requests (all when `count` is absent):
 * an error reply, no reply, a reply that is not JSON, (`delay`) the right reply `ms` late, so
 * a later request can overtake it as requests on separate connections can, (`reset`) the
 * connection dropped in the middle of the reply's head (a network failure to the client), or (`reply`) exactly the
 * `status`, content `type` and `body` given (a proxy's error page, a 4xx), with CORS headers.
 */
export interface GatewayFault {
  kind: "500" | "hang" | "garbage" | "delay" | "reset" | "reply";
  count?: number;
  /** For `delay`: how late, in milliseconds (default 100). */
  ms?: number;
  /** For `reply`: the HTTP status (default 502). */
  status?: number;
  /** For `reply`: the content type (default `text/html`). */
  type?: string;
  /** For `reply`: the body (default empty). */
  body?: string;
}

/** What the gateway has seen since the last reset. */
export interface GatewayStats {
  /** HTTP requests to the data endpoints (`/`, `/pipeline`, `/multi-exec`). */
  requests: number;
  /** Redis commands forwarded, lowercase names in order. */
  commands: string[];
}

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  readonly token: string;
  stats(): GatewayStats;
  reset(): void;
  setFault(fault: GatewayFault | undefined): void;
  /** A new accepted token with its own stats and fault (see the header comment). */
  session(): GatewaySession;
  close(): Promise<void>;
}

/** One session of the gateway: requests made with `token` are counted and faulted here too. */
export interface GatewaySession {
  readonly token: string;
  stats(): GatewayStats;
  reset(): void;
  setFault(fault: GatewayFault | undefined): void;
}

interface SessionState {
  stats: GatewayStats;
  fault: GatewayFault | undefined;
}

type Reply = { result: unknown } | { error: string };

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "*",
  "access-control-max-age": "600",
};

// node-redis decodes an integer reply digit by digit into a double, which is off from 2^53 - 1
// up (it answered 9007199254740992 for 2^53 - 1). Mapped to text, integers arrive as strings and
// every string reply as a Buffer, so the two stay apart; integers go out as exact JSON numbers.
const EXACT_REPLIES = {
  [RESP_TYPES.NUMBER]: String,
  [RESP_TYPES.SIMPLE_STRING]: Buffer,
  [RESP_TYPES.BLOB_STRING]: Buffer,
} as const;

/** A RESP2 client with `EXACT_REPLIES`; `duplicate()` keeps the mapping for transactions. */
function redisClient(url: string) {
  return createClient({ url, RESP: 2, commandOptions: { typeMapping: EXACT_REPLIES } });
}

type RedisClient = ReturnType<typeof redisClient>;

function encodeBase64(value: unknown): unknown {
  if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64");
  if (Array.isArray(value)) return value.map(encodeBase64);
  return value;
}

/** A reply as JSON values: string replies as strings, integer replies (strings, see `EXACT_REPLIES`) as bigints. */
function toReplyValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value === "string") return BigInt(value);
  if (Array.isArray(value)) return value.map(toReplyValue);
  if (value instanceof Map) return [...value].flat().map(toReplyValue);
  if (value !== null && typeof value === "object") return Object.entries(value).flat().map(toReplyValue);
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runOne(client: RedisClient, command: unknown): Promise<Reply> {
  if (!Array.isArray(command) || command.length === 0)
    return { error: "ERR a command must be a non-empty array" };
  try {
    const args = command.map((part) => (typeof part === "string" ? part : JSON.stringify(part)));
    return { result: toReplyValue(await client.sendCommand(args)) };
  } catch (error) {
    return { error: errorText(error) };
  }
}

async function runTransaction(client: RedisClient, commands: unknown[]): Promise<Reply[] | Reply> {
  const isolated = client.duplicate();
  await isolated.connect();
  try {
    await isolated.sendCommand(["MULTI"]);
    for (const command of commands) {
      const reply = await runOne(isolated, command);
      if ("error" in reply) {
        await isolated.sendCommand(["DISCARD"]);
        return reply;
      }
    }
    const results = (await isolated.sendCommand(["EXEC"])) as unknown[];
    return results.map((value) =>
      value instanceof Error ? { error: value.message } : { result: toReplyValue(value) },
    );
  } finally {
    await isolated.close().catch(() => undefined);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** `value` as JSON text, each bigint as the exact digits of a JSON number (JSON.stringify refuses them). */
function toJson(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.entries(value)
      .map(([name, item]) => `${JSON.stringify(name)}:${toJson(item)}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json", ...CORS });
  response.end(toJson(body));
}

function sessionApi(state: SessionState): Omit<GatewaySession, "token"> {
  return {
    stats: () => ({ requests: state.stats.requests, commands: [...state.stats.commands] }),
    reset() {
      state.stats = { requests: 0, commands: [] };
      state.fault = undefined;
    },
    setFault(next) {
      state.fault = next === undefined ? undefined : { ...next };
    },
  };
}

/** Starts the gateway on a free loopback port, forwarding to the Redis at `redisUrl`. */
export async function startGateway(options: { redisUrl: string; token?: string }): Promise<Gateway> {
  const token = options.token ?? "isocache-test-token";
  const client: RedisClient = redisClient(options.redisUrl);
  client.on("error", () => undefined); // reconnects by itself; a dead Redis answers per request
  await client.connect();
  const everything: SessionState = { stats: { requests: 0, commands: [] }, fault: undefined };
  const sessions = new Map<string, SessionState>();
  const hanging = new Set<ServerResponse>();
  let sessionCount = 0;
  const newSession = (): string => {
    const id = `${token}-session-${++sessionCount}-${Math.random().toString(36).slice(2)}`;
    sessions.set(id, { stats: { requests: 0, commands: [] }, fault: undefined });
    return id;
  };
  const stateOf = (id: string | null): SessionState | undefined =>
    id === null ? everything : sessions.get(id);

  const control = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const path = url.pathname;
    if (path === "/__control/session") return send(response, 200, { token: newSession() });
    const state = stateOf(url.searchParams.get("token"));
    if (state === undefined) return send(response, 404, { error: "unknown session token" });
    if (path === "/__control/stats") return send(response, 200, state.stats);
    if (path === "/__control/reset") {
      state.stats = { requests: 0, commands: [] };
      state.fault = undefined;
      return send(response, 200, { ok: true });
    }
    if (path === "/__control/fault") {
      const body = await readBody(request);
      state.fault = body === "" ? undefined : (JSON.parse(body) as GatewayFault);
      return send(response, 200, { ok: true });
    }
    send(response, 404, { error: "unknown control path" });
  };

  /** Answers with the fault of `state` if it has one; true when it did. */
  const injectFault = (state: SessionState, response: ServerResponse): boolean => {
    const current = state.fault;
    if (current === undefined || current.kind === "delay") return false;
    if (current.count !== undefined && --current.count <= 0) state.fault = undefined;
    if (current.kind === "500") send(response, 500, { error: "ERR injected failure" });
    else if (current.kind === "garbage") {
      response.writeHead(200, { "content-type": "application/json", ...CORS });
      response.end("<html>not json");
    } else if (current.kind === "reply") {
      response.writeHead(current.status ?? 502, { "content-type": current.type ?? "text/html", ...CORS });
      response.end(current.body ?? "");
    } else if (current.kind === "reset") {
      // A status line, then the connection closes before the headers end. Dropped with no byte
      // sent, a request on a reused keep-alive connection is sent again by Chromium's network
      // stack itself (so the gateway would count each of the client's attempts twice).
      response.socket?.end("HTTP/1.1 502 Connection dropped\r\n");
    } else hanging.add(response);
    return true;
  };

  /** How long to hold the request by the `delay` fault of `state` (0 without one). */
  const delayOf = (state: SessionState | undefined): number => {
    const current = state?.fault;
    if (state === undefined || current?.kind !== "delay") return 0;
    if (current.count !== undefined && --current.count <= 0) state.fault = undefined;
    return current.ms ?? 100;
  };

  const count = (commands: unknown[], record: (name: string) => void) => {
    for (const command of commands)
      record(String(Array.isArray(command) ? command[0] : command).toLowerCase());
  };

  const data = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const given = request.headers.authorization?.replace(/^Bearer /, "");
    const session = given === undefined || given === token ? undefined : sessions.get(given);
    if (given !== token && session === undefined) return send(response, 401, { error: "Unauthorized" });
    everything.stats.requests++;
    if (session !== undefined) session.stats.requests++;
    if (injectFault(everything, response) || (session !== undefined && injectFault(session, response)))
      return;
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      return send(response, 400, { error: "ERR failed to parse the request body as JSON" });
    }
    const late = Math.max(delayOf(everything), delayOf(session));
    if (late > 0) await new Promise((resolve) => setTimeout(resolve, late));
    const base64 = request.headers["upstash-encoding"] === "base64";
    const encode = (reply: Reply) =>
      base64 && "result" in reply ? { result: encodeBase64(reply.result) } : reply;
    const isBatch = path === "/pipeline" || path === "/multi-exec";
    if (isBatch && !Array.isArray(body))
      return send(response, 400, { error: "ERR a pipeline must be an array of commands" });
    count(isBatch ? (body as unknown[]) : [body], (name) => {
      everything.stats.commands.push(name);
      session?.stats.commands.push(name);
    });
    if (isBatch) {
      const commands = body as unknown[];
      const replies =
        path === "/pipeline"
          ? await Promise.all(commands.map((command) => runOne(client, command)))
          : await runTransaction(client, commands);
      if (!Array.isArray(replies)) return send(response, 400, replies);
      return send(response, 200, replies.map(encode));
    }
    const reply = await runOne(client, body);
    send(response, "error" in reply ? 400 : 200, encode(reply));
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://gateway");
    if (request.method === "OPTIONS") {
      response.writeHead(204, CORS);
      return response.end();
    }
    const handled = url.pathname.startsWith("/__control/")
      ? control(request, response, url)
      : data(request, response, url.pathname);
    handled.catch((error: unknown) => send(response, 500, { error: `ERR gateway: ${errorText(error)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ...sessionApi(everything),
    session() {
      const id = newSession();
      return { token: id, ...sessionApi(sessions.get(id) as SessionState) };
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await client.close().catch(() => undefined);
    },
  };
}
