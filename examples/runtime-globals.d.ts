// The parts of Bun's and Deno's globals the examples use, for this repository's `tsc` only (it
// loads @types/node, not bun-types or Deno's lib). In your own project use `@types/bun` or
// `deno check` instead.
declare const Bun: {
  serve(options: {
    fetch: (request: Request) => Response | Promise<Response>;
    hostname?: string;
    port?: number;
  }): { readonly url: URL; stop(closeActiveConnections?: boolean): Promise<void> };
  sleep(ms: number): Promise<void>;
};

declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: {
      hostname?: string;
      port?: number;
      onListen?: (address: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void>; finished: Promise<void> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
  exit(code?: number): never;
};
