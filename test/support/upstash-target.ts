// The conformance suites' target for the Upstash backend on any runtime: every `create()` is a
// fresh key namespace on the one shared database behind the gateway (namespaces keep test files
// and the routing tests' three stores apart), and `cleanup` clears the namespaces it handed out.
// Free of node:* so workerd and Chromium can import it.

/** What a runtime entry offers that the target needs. */
interface Lib {
  readonly Cache: new () => { setup(target: unknown): { clear(): Promise<unknown> } };
}

/** Where the gateway is, from `inject("upstashUrl")` / `inject("upstashToken")`. */
export interface GatewayAddress {
  url: string;
  token: string;
}

let namespaces = 0;

/** A namespace unique across runtimes and files sharing the gateway. */
export function freshNamespace(tag: string): string {
  return `test:${tag}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:${++namespaces}:`;
}

/** The `upstash://` URL for `namespace` on the gateway. */
export function upstashUrl(address: GatewayAddress, namespace: string, extra = ""): string {
  const url = encodeURIComponent(address.url);
  const token = encodeURIComponent(address.token);
  return `upstash://?url=${url}&token=${token}&namespace=${encodeURIComponent(namespace)}${extra}`;
}

/**
 * `create`/`cleanup` for the suites: `make(namespace)` returns what `cache.setup` receives (an
 * `upstash://` URL or a backend from the factory); cleanup clears each namespace through it.
 */
export function upstashTarget(
  lib: Lib,
  tag: string,
  make: (namespace: string) => unknown,
): { create(): unknown; cleanup(): Promise<void>; timeScale: number } {
  let made: string[] = [];
  return {
    // See SuiteTarget.timeScale: every command is an HTTP round trip through the gateway.
    timeScale: 3,
    create() {
      const namespace = freshNamespace(tag);
      made.push(namespace);
      return make(namespace);
    },
    async cleanup() {
      const done = made;
      made = [];
      await Promise.all(done.map((namespace) => new lib.Cache().setup(make(namespace)).clear()));
    },
  };
}

/** A fault as the gateway's `/__control/fault` takes it. */
export interface Fault {
  kind: "500" | "hang" | "garbage" | "delay" | "reset" | "reply";
  count?: number;
  /** For `delay`: how late the reply comes, in milliseconds. */
  ms?: number;
  /** For `reply`: the status, content type and body answered instead (default 502, text/html, empty). */
  status?: number;
  type?: string;
  body?: string;
}

/** A gateway session seen over HTTP: its own token, request counter and fault. */
export interface RemoteSession {
  readonly token: string;
  /** HTTP requests the gateway received with this token, and the commands they carried. */
  stats(): Promise<{ requests: number; commands: string[] }>;
  setFault(fault: Fault | undefined): Promise<void>;
  reset(): Promise<void>;
}

/** Opens a session on the gateway through `/__control/*`, from any runtime. */
export async function openSession(address: GatewayAddress): Promise<RemoteSession> {
  const control = async (path: string, body?: string): Promise<unknown> => {
    const response = await fetch(`${address.url}/__control/${path}`, { method: "POST", body });
    if (!response.ok) throw new Error(`gateway control ${path} answered ${response.status}`);
    return response.json();
  };
  const { token } = (await control("session")) as { token: string };
  const query = `?token=${encodeURIComponent(token)}`;
  return {
    token,
    stats: async () => (await control(`stats${query}`)) as { requests: number; commands: string[] },
    setFault: async (fault) =>
      void (await control(`fault${query}`, fault === undefined ? "" : JSON.stringify(fault))),
    reset: async () => void (await control(`reset${query}`)),
  };
}
