// One node-redis connection for the Redis backend: opened on the first command, reconnecting
// forever with capped exponential backoff, failing commands fast while offline (so `timeout`
// and `suppress` can act), and reporting server-side invalidations for local tiers.
import { BasicClientSideCache, createClient } from "redis";
import { CacheBackendError, errorMessage } from "../core/errors";
import type { InvalidationListener } from "../core/types";
import { digestedSha, scriptSha } from "./_shared/redis-lua";
import type { RedisClientLike, ResolvedRedisOptions } from "./redis-options";

type HandleCache = BasicClientSideCache["handleCache"];

/**
 * node-redis's hook for RESP3 client tracking, used only for its handshake command and its
 * invalidation callbacks: it caches nothing itself (the backend never routes reads through it).
 * Tracking is BCAST with NOLOOP: the server reports every write under the key prefix by any
 * other connection, including keys this process wrote but never read (default tracking mode
 * would report only keys this connection read, so a local copy made by our own `set` would go
 * stale), and not our own writes, which the tiers already applied locally.
 */
class TrackingHook extends BasicClientSideCache {
  readonly #owner: RedisConnection;

  constructor(owner: RedisConnection) {
    super({ maxEntries: 1 });
    this.#owner = owner;
  }

  override async handleCache(
    ...[, parser, fn, transformReply, typeMapping]: Parameters<HandleCache>
  ): ReturnType<HandleCache> {
    const reply = await fn();
    return transformReply === undefined ? reply : transformReply(reply, parser.preserve, typeMapping);
  }

  override trackingOn(): string[] {
    return this.#owner.trackingCommand();
  }

  override invalidate(key: unknown): void {
    this.#owner.invalidated(key);
  }

  override onError(): void {
    this.#owner.invalidated(null);
  }

  override onClose(): void {
    this.#owner.invalidated(null);
  }
}

/** The lazily opened client of one Redis backend. */
export class RedisConnection {
  readonly #options: ResolvedRedisOptions;
  readonly #listeners = new Set<InvalidationListener>();
  readonly #scripts = new Map<string, Promise<void>>();
  /** SHAs this connection has loaded (SCRIPT LOAD answered), so EVALSHA can go out at once. */
  readonly #loaded = new Set<string>();
  #client: RedisClientLike | undefined;
  #owned = false;
  #opening: Promise<void> | undefined;
  /** Rejects the pending first connection of `#opening`, for `close()`. */
  #abandon: (() => void) | undefined;
  /** A connection of this backend was ready before, kept across close(): local copies may be stale. */
  #readyOnce = false;
  /** Why the last connection attempt failed, for the errors of commands issued while offline. */
  #lastError: unknown;

  readonly #onReady = () => {
    this.#lastError = undefined;
    // Writes made while we were away (reconnecting, or closed and opened again) were not reported.
    if (this.#readyOnce) this.invalidated(null);
    this.#readyOnce = true;
  };

  /** Also the "error" listener an EventEmitter needs (without one it throws): failures reach callers through their commands. */
  readonly #onError = (cause: unknown) => {
    this.#lastError = cause;
  };

  constructor(options: ResolvedRedisOptions) {
    this.#options = options;
  }

  /** True when this connection can report invalidations (it owns its client). */
  get tracks(): boolean {
    return this.#options.client === undefined;
  }

  /**
   * Creates the client and waits for its first connection. When that fails the client keeps
   * reconnecting in the background; later calls return at once and commands fail fast until it is back.
   */
  open(): Promise<void> {
    const client = this.#client ?? this.#create();
    if (this.#opening !== undefined) return this.#opening;
    if (client.isOpen) return Promise.resolve();
    this.#owned = true;
    const opening = this.#firstReady(client).finally(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    this.#opening = opening;
    return opening;
  }

  /** Connects `client` and settles on its first "ready" or "error", or when `close()` drops it first. */
  #firstReady(client: RedisClientLike): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: CacheBackendError) => {
        client.off("ready", onReady);
        client.off("error", onError);
        if (this.#abandon === abandon) this.#abandon = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReady = () => settle();
      const onError = (cause: unknown) =>
        settle(
          connectError(
            this.#options.url,
            `could not connect (${describe(cause)})`,
            "the backend keeps retrying",
            cause,
          ),
        );
      // A destroyed client emits neither event: without this, an open that close() interrupted
      // (a server stuck in its handshake) would never settle, nor would any open after it.
      const abandon = () =>
        settle(
          connectError(
            this.#options.url,
            "the connection was closed before it was ready",
            "the next command connects again",
          ),
        );
      this.#abandon = abandon;
      client.once("ready", onReady);
      client.once("error", onError);
      client.connect().catch(() => undefined); // failures arrive as "error" events; connect retries by itself
    });
  }

  #create(): RedisClientLike {
    const options = this.#options;
    const client =
      options.client ??
      (createClient({
        url: options.url,
        RESP: 3,
        disableOfflineQueue: true,
        // No per-command timeout: node-redis arms an AbortSignal timer per command that only
        // covers the wait before the command is written (a written command is never timed out),
        // which here is one tick since commands fail fast while offline; that timer was the
        // largest client cost per command. Calls are bounded by the `timeout` option instead.
        commandOptions: { timeout: 0 },
        clientSideCache: new TrackingHook(this),
        maintNotifications: "disabled",
        socket: {
          connectTimeout: options.connectTimeout,
          reconnectStrategy: (retries: number) =>
            Math.min(options.maxReconnectDelay, 20 * 2 ** Math.min(retries, 16)) +
            Math.floor(Math.random() * 20),
        },
      }) as unknown as RedisClientLike);
    // A given client comes back here after every close(): added once, its listeners do not pile up.
    if (!client.listeners("error").includes(this.#onError)) client.on("error", this.#onError);
    if (!client.listeners("ready").includes(this.#onReady)) client.on("ready", this.#onReady);
    this.#client = client;
    return client;
  }

  /**
   * Quits an owned client cleanly, or drops it when it is not connected or the quit takes longer
   * than `connectTimeout`; the next `open()` starts over.
   */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#opening = undefined;
    this.#abandon?.();
    if (client === undefined || !this.#owned || !client.isOpen) return;
    this.#owned = false;
    // A server that stopped answering (paused, partitioned) would hold the quit forever; a
    // socket that died while closing rejects it: either way the client is dropped.
    if (client.isReady && (await within(client.close(), this.#options.connectTimeout))) return;
    client.destroy();
  }

  /**
   * Sends one raw command. While the backend's own client is offline it fails at once (as
   * node-redis would, its offline queue being off) with an error saying why the connection is down.
   */
  send<T>(args: string[]): Promise<T> {
    const client = this.#client;
    // A command whose earlier steps (a script load, a scan page) ran before close(): the cache
    // opens again only on its next command.
    if (client === undefined) return Promise.reject(closedError());
    if (!client.isReady && this.tracks) return Promise.reject(this.#offline());
    return client.sendCommand(args) as Promise<T>;
  }

  #offline(): CacheBackendError {
    const last = this.#lastError;
    const why = last === undefined ? "" : ` (last error: ${describe(last)})`;
    return connectError(
      this.#options.url,
      `not connected${why}`,
      "the backend keeps retrying, and commands fail at once until it is back",
      last,
    );
  }

  /** Runs a Lua script by SHA, loading it on the server when it is not cached there yet. */
  eval<T>(script: string, keys: string[], args: string[]): Promise<T> {
    // Once a script is loaded, a call is one EVALSHA with no await before it (it runs per command).
    const sha = digestedSha(script);
    if (sha !== undefined && this.#loaded.has(sha)) return this.#evalSha<T>(sha, script, keys, args);
    return this.#loadThenEval<T>(script, keys, args);
  }

  async #loadThenEval<T>(script: string, keys: string[], args: string[]): Promise<T> {
    const sha = await scriptSha(script);
    await this.#loadScript(sha, script);
    return this.#evalSha<T>(sha, script, keys, args);
  }

  #evalSha<T>(sha: string, script: string, keys: string[], args: string[]): Promise<T> {
    const command = ["EVALSHA", sha, String(keys.length), ...keys, ...args];
    return this.send<T>(command).catch((error: unknown) => {
      if (!/NOSCRIPT/.test(describe(error))) throw error;
      // The server lost its script cache (restart, SCRIPT FLUSH): load again on the next call.
      this.#scripts.delete(sha);
      this.#loaded.delete(sha);
      command[0] = "EVAL";
      command[1] = script;
      return this.send<T>(command);
    });
  }

  // One SCRIPT LOAD per script and connection, shared by concurrent first calls: without it each of
  // them would get NOSCRIPT and send the whole script with EVAL.
  #loadScript(sha: string, script: string): Promise<void> {
    let loaded = this.#scripts.get(sha);
    if (loaded === undefined) {
      loaded = this.send<string>(["SCRIPT", "LOAD", script]).then(
        () => {
          this.#loaded.add(sha);
        },
        () => {
          this.#scripts.delete(sha); // EVALSHA then reports the failure, or falls back to EVAL
        },
      );
      this.#scripts.set(sha, loaded);
    }
    return loaded;
  }

  /** Adds an invalidation listener; tracking starts on the live connection at once and on every reconnect. */
  onInvalidate(listener: InvalidationListener): () => void {
    const first = this.#listeners.size === 0;
    this.#listeners.add(listener);
    const client = this.#client;
    if (first && this.tracks && client?.isReady) this.send(this.trackingCommand()).catch(() => undefined);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The handshake command node-redis sends on every (re)connection. */
  trackingCommand(): string[] {
    // A new connection starts untracked, so nothing needs turning off; PING fills the slot because
    // CLIENT may be denied (ACL, managed Redis), and that failure would fail every connection.
    if (this.#listeners.size === 0) return ["PING"];
    const prefix = this.#options.keyPrefix;
    const command = ["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"];
    return prefix === "" ? command : [...command, "PREFIX", prefix];
  }

  /** Hands an invalidated Redis key (`null`: everything) to the listeners, without the key prefix. */
  invalidated(raw: unknown): void {
    if (this.#listeners.size === 0) return;
    let key: string | undefined;
    if (raw !== null && raw !== undefined) {
      const full = String(raw);
      const prefix = this.#options.keyPrefix;
      if (!full.startsWith(prefix)) return;
      key = full.slice(prefix.length);
    }
    for (const listener of this.#listeners) {
      try {
        listener(key);
      } catch {
        // A failing listener must not break the connection's reply parsing.
      }
    }
  }
}

/** The error of a connection that is not ready (the first one, or one being re-established). */
function connectError(
  url: string | undefined,
  problem: string,
  consequence: string,
  cause?: unknown,
): CacheBackendError {
  const check = refusal(cause) ?? reachability(url);
  return new CacheBackendError("redis", errorMessage("redis", problem, `${check}; ${consequence}`), {
    cause,
  });
}

/** What to check when the server refused the handshake itself (credentials, ACL, database). */
function refusal(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  const message = describe(cause);
  if (/^(WRONGPASS|NOAUTH)\b|invalid password/i.test(message)) {
    return "check the user name and password in the URL (percent-encode characters such as @ : / % # ?)";
  }
  if (/^NOPERM\b/.test(message)) {
    return "check that the Redis user is allowed CLIENT TRACKING (clientSide needs it) and the commands in the message";
  }
  if (/DB index is out of range/i.test(message)) {
    return "check the database index in the URL path: the server has fewer databases (its `databases` setting, 16 by default)";
  }
  return undefined;
}

function reachability(url: string | undefined): string {
  // A TLS failure (an untrusted certificate, a plain server on the port) reads like any other.
  return url?.startsWith("rediss:")
    ? "check that Redis is reachable, serves TLS on that port, and has a certificate this process trusts (a private CA can be added with NODE_EXTRA_CA_CERTS)"
    : "check that Redis is reachable";
}

/** The error of a command that reached the connection after `close()`. */
function closedError(): CacheBackendError {
  return new CacheBackendError(
    "redis",
    errorMessage(
      "redis",
      "the cache was closed while this command was under way",
      "settle commands before close(); the next command connects again",
    ),
  );
}

/** True when `pending` fulfils within `ms`; false when it rejects or is still pending then. */
function within(pending: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settle = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    pending.then(
      () => settle(true),
      () => settle(false),
    );
  });
}

/** The message of an unknown thrown value. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
