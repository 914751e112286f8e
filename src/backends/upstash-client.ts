// The `@upstash/redis` client of one Upstash backend, built on first use from the factory its
// platform entry passes, and the `CacheBackendError` every failed command sent through it becomes.
// Requests the network drops are resent here, not by the client: its own resends lose each
// network error once `requestTimeout` runs out, leaving only "timed out" to report.
import type { Redis } from "@upstash/redis";
import { CacheBackendError, CacheError } from "../core/errors";
import { describeUpstashFailure, type NetworkFailures } from "./upstash-errors";
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
/** What the client throws for an answer it got (or could not read as one), and for an abort. */
const NOT_NETWORK = new Set([
  "UpstashError",
  "UpstashJSONParseError",
  "UrlError",
  "TimeoutError",
  "AbortError",
]);

/** Whether `error` is fetch failing on the network (each runtime names it its own way), worth resending. */
function isNetworkFailure(error: unknown): boolean {
  return !(error instanceof CacheError) && !(error instanceof Error && NOT_NETWORK.has(error.name));
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** Wait before resend `attempt` (0 first): 50, 100, 200 ms, … */
function backoff(attempt: number): number {
  return 50 * 2 ** attempt;
}

/** The marker `withinDeadline` rejects with once `ms` passed. */
const DEADLINE = Symbol("deadline");

/** `request`, or a rejection with `DEADLINE` after `ms` (the request's own abort comes later). */
function withinDeadline<T>(request: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(DEADLINE), Math.max(0, ms));
  });
  request.catch(() => undefined); // settled after the deadline: nobody waits for it any more
  return Promise.race([request, deadline]).finally(() => clearTimeout(timer));
}

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
      const { url, token, requestTimeout } = this.#options;
      this.#client = this.#factory({
        url,
        token,
        automaticDeserialization: false,
        enableTelemetry: false,
        enableAutoPipelining: true,
        // fetch's `keepalive` is for requests that outlive a page; browsers cap such bodies at 64 KiB.
        keepAlive: false,
        // `run` resends; the client's resends would hide their network errors behind a timeout.
        retry: { retries: 0, backoff },
        // A function, so the client throws on abort instead of turning it into a fake reply.
        signal: () => AbortSignal.timeout(requestTimeout),
      });
    }
    return this.#client;
  }

  /** The client; what building it throws rejects `command` at once (nothing went out to resend). */
  #built(command: string): Redis {
    try {
      return this.redis;
    } catch (error) {
      throw this.failure(command, error);
    }
  }

  /** Forgets the client; the next command builds a new one. */
  close(): void {
    this.#client = undefined;
  }

  /** The `CacheBackendError` for `error`, thrown by `command` (`dropped`: the network failures before it). */
  failure(command: string, error: unknown, dropped?: NetworkFailures): CacheBackendError {
    // A deadline that ended the resends is not what went wrong: the network was.
    const cause = dropped !== undefined && isTimeout(error) ? dropped.last : error;
    return new CacheBackendError(NAME, describeUpstashFailure(command, error, this.#options, dropped), {
      cause,
    });
  }

  /**
   * Sends what `send` sends, resending it up to `retries` times while the network drops it, all
   * within one `requestTimeout`. A failure rejects with `special(error)` when that gives an error,
   * else with a `CacheBackendError` for `command` that names the last network failure, if any.
   */
  async run<T>(
    command: string,
    send: (redis: Redis) => Promise<T>,
    special?: (error: unknown) => Error | undefined,
  ): Promise<T> {
    const { retries, requestTimeout } = this.#options;
    const deadline = Date.now() + requestTimeout;
    let dropped: NetworkFailures | undefined;
    for (let attempt = 0; ; attempt++) {
      const redis = this.#built(command);
      try {
        // The first attempt's deadline is the client's own abort; a resend gets what is left.
        const request = send(redis);
        return attempt === 0 ? await request : await withinDeadline(request, deadline - Date.now());
      } catch (caught) {
        const error = caught === DEADLINE ? timeoutError() : caught;
        const given = special?.(error);
        if (given !== undefined) throw given;
        if (!isNetworkFailure(error)) throw this.failure(command, error, dropped);
        dropped = { count: (dropped?.count ?? 0) + 1, last: error };
        if (attempt >= retries) throw this.failure(command, error);
        const wait = backoff(attempt);
        if (Date.now() + wait >= deadline) throw this.failure(command, timeoutError(), dropped);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
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

/** The error a request's own deadline ends it with. */
function timeoutError(): Error {
  const error = new Error("the request timed out");
  error.name = "TimeoutError";
  return error;
}
