// The `@upstash/redis` client of one Upstash backend, built on first use from the factory its
// platform entry passes, and the `CacheBackendError` every failed command sent through it becomes.
import type { Redis } from "@upstash/redis";
import { CacheBackendError } from "../core/errors";
import { describeUpstashFailure } from "./upstash-errors";
import type { ResolvedUpstashOptions } from "./upstash-url";

/** The configuration both platform entries of `@upstash/redis` accept. */
export interface UpstashClientConfig {
  url: string;
  token: string;
  automaticDeserialization: false;
  enableTelemetry: false;
  enableAutoPipelining: true;
  keepAlive: boolean;
  retry: { retries: number; backoff: (retryCount: number) => number };
  signal: () => AbortSignal;
}

/** Builds a client; each platform entry passes its own `Redis` class. */
export type UpstashClientFactory = (config: UpstashClientConfig) => Redis;

const NAME = "upstash";
const SCAN_COUNT = 1000;

/** One backend's client, built on first use and dropped by `close`. */
export class UpstashClient {
  readonly #options: ResolvedUpstashOptions;
  readonly #factory: UpstashClientFactory;
  #client: Redis | undefined;

  constructor(options: ResolvedUpstashOptions, factory: UpstashClientFactory) {
    this.#options = options;
    this.#factory = factory;
  }

  /** The client, built on first use. */
  get redis(): Redis {
    // The client holds no connection (each command is one fetch), so building it is all `init` does.
    if (this.#client === undefined) {
      const { url, token, retries, requestTimeout } = this.#options;
      this.#client = this.#factory({
        url,
        token,
        automaticDeserialization: false,
        enableTelemetry: false,
        enableAutoPipelining: true,
        // fetch's `keepalive` is for requests that outlive a page; browsers cap such bodies at 64 KiB.
        keepAlive: false,
        retry: { retries, backoff: (retryCount) => 50 * 2 ** retryCount },
        // A function, so the client throws on abort instead of turning it into a fake reply.
        signal: () => AbortSignal.timeout(requestTimeout),
      });
    }
    return this.#client;
  }

  /** Forgets the client; the next command builds a new one. */
  close(): void {
    this.#client = undefined;
  }

  /** The `CacheBackendError` for `error`, thrown by `command`. */
  failure(command: string, error: unknown): CacheBackendError {
    return new CacheBackendError(NAME, describeUpstashFailure(command, error, this.#options), {
      cause: error,
    });
  }

  /** Sends what `send` sends; a failure rejects with a `CacheBackendError` for `command`. */
  async run<T>(command: string, send: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await send(this.redis);
    } catch (error) {
      throw this.failure(command, error);
    }
  }

  /** The keys matching `match`, a page of SCAN at a time (empty pages skipped). */
  async *scanPages(match: string): AsyncIterable<string[]> {
    let cursor = "0";
    do {
      const [next, keys] = await this.run("scan", (redis) =>
        redis.scan(cursor, { match, count: SCAN_COUNT }),
      );
      cursor = String(next);
      if (keys.length > 0) yield keys;
    } while (cursor !== "0");
  }
}
