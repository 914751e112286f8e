// Starts a throwaway redis-server on a free loopback port, with no persistence, as a child process
// the tests can SIGKILL and restart. Used by the shared services (global setup) and by fault tests.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";

/** A running redis-server. */
export interface RedisProcess {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or `rediss://…` for a TLS server */
  readonly url: string;
  /** For a TLS server: the self-signed certificate (PEM file) clients must trust. */
  readonly caFile?: string;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the server keeps its connections open and answers nothing (a paused or partitioned server). */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** Starts it again on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function ping(port: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      ca === undefined
        ? createConnection({ host: "127.0.0.1", port })
        : tlsConnect({ host: "127.0.0.1", port, ca, servername: undefined });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on(ca === undefined ? "connect" : "secureConnect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

async function waitReady(port: number, child: ChildProcess, ca?: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode} before it was ready`);
    if (await ping(port, ca)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} not ready within 10 s`);
}

/** A self-signed certificate for 127.0.0.1 in `dir` (openssl CLI); paths of the key and the certificate. */
function selfSigned(dir: string): { key: string; cert: string } {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      // A server certificate, not a CA: rustls (Deno's TLS) refuses a CA certificate as the peer's.
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}

/** Starts redis-server on a free loopback port (or `port`); with `tls`, it serves TLS only, on a self-signed certificate. */
export async function startRedis(options: { port?: number; tls?: boolean } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "isocache-redis-"));
  const tls = options.tls === true ? selfSigned(dir) : undefined;
  const ca = tls === undefined ? undefined : readFileSync(tls.cert, "utf8");
  let child: ChildProcess | undefined;
  const launch = async () => {
    const listen =
      tls === undefined
        ? ["--port", String(port)]
        : [
            "--port",
            "0",
            "--tls-port",
            String(port),
            "--tls-cert-file",
            tls.cert,
            "--tls-key-file",
            tls.key,
            "--tls-ca-cert-file",
            tls.cert,
            "--tls-auth-clients",
            "no",
          ];
    const args = [
      ...listen,
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--loglevel",
      "warning",
    ];
    child = spawn("redis-server", args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", () => undefined);
    await waitReady(port, child, ca);
  };
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const current = child;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill(signal);
    await exited;
  };
  await launch();
  return {
    port,
    url: `${tls === undefined ? "redis" : "rediss"}://127.0.0.1:${port}`,
    ...(tls === undefined ? {} : { caFile: tls.cert }),
    kill,
    // process.kill, not child.kill: Deno's ChildProcess takes a stopped child for one that exited
    // (signalCode "SIGSTOP", no exit event ever after), so a later kill() or stop() would leave
    // the server running.
    freeze: () => signal(child, "SIGSTOP"),
    thaw: () => signal(child, "SIGCONT"),
    restart: launch,
    async stop() {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends `name` to a running child by pid, leaving its ChildProcess state alone. */
function signal(child: ChildProcess | undefined, name: NodeJS.Signals): void {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null)
    process.kill(child.pid, name);
}

/** A loopback TCP proxy in front of a redis-server that counts what clients send through it. */
export interface CountingProxy {
  /** `redis://127.0.0.1:<proxy port>` */
  readonly url: string;
  /** Client-to-server writes so far: one per round trip of a client that waits for each reply. */
  writes(): number;
  close(): Promise<void>;
}

/** Starts a proxy to `port`, to count the round trips a client makes. */
export async function startCountingProxy(port: number): Promise<CountingProxy> {
  let writes = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port });
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => {
      writes++;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  const proxyPort = await new Promise<number>((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    writes: () => writes,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
