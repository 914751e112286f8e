import type { RecordCodec } from "./envelope";
import {
  CacheArgumentError,
  CacheBackendError,
  CacheConfigError,
  CacheError,
  CacheValueError,
  errorMessage,
} from "./errors";
import { TieredBackend } from "./tiers";
import type { Backend } from "./types";

/** What a middleware sees of one command. */
export interface CommandCall {
  /** The command name, such as `get` or `set`. */
  readonly command: string;
  /** The key (or pattern) the command is about; `undefined` for `ping`, `clear`, ... */
  readonly key: string | undefined;
  /** The arguments the command was called with. */
  readonly args: readonly unknown[];
  /** Name of the backend serving the call. */
  readonly backend: string;
}

/** A middleware wraps every command of the backends it was set up with; outermost first. */
export type Middleware = (call: CommandCall, next: () => Promise<unknown>) => Promise<unknown>;

/** Receives backend failures that `suppress` turned into misses or no-ops. */
export type ErrorHandler = (
  error: CacheError,
  call: { command: string; key: string | undefined; backend: string },
) => void;

/**
 * A backend that can answer a read synchronously (the memory backend): the live entry's text
 * plus a slot for the value decoded from it. Lets a cache hit skip every promise but the last.
 */
export interface SlotReader {
  readSlot(key: string): { readonly value: string; decoded: unknown } | undefined;
}

/** Everything one `setup` call fixed for its backend, computed once. */
export interface RouteConfig {
  prefix: string;
  backend: Backend;
  codec: RecordCodec;
  enabled: boolean;
  suppress: boolean;
  timeoutMs: number | undefined;
  middlewares: readonly Middleware[];
  onError: ErrorHandler | undefined;
  /** `false`: hits share one decoded object per stored value instead of a fresh copy each. */
  copy: boolean;
}

const WARN_EVERY_MS = 60_000;
/** Commands that change nothing, so reads in flight stay valid across them. */
const READ_ONLY = new Set([
  "get",
  "getRaw",
  "getMany",
  "exists",
  "getExpire",
  "getKeysCount",
  "ping",
  "isLocked",
  "members",
]);

/** Writing commands that change only the key they name, so only that key's shared read is dropped. */
const ONE_KEY = new Set([
  "set",
  "setRaw",
  "delete",
  "expire",
  "incr",
  "setLock",
  "unlock",
  "addMembers",
  "removeMembers",
  "slideWindow",
]);

/** Commands on the one key they name, which wait only for that key's queued commands (see `Route.call`). */
const SINGLE = new Set([...ONE_KEY, "get", "getRaw", "exists", "getExpire", "isLocked"]);

const settled = (): void => undefined;

/**
 * A load's claim on the key it will store: `stale` once a command that writes the key (a set,
 * a delete, an invalidation) was called after the load began, and the load must then not store
 * its result over that write. Loads of one key that run at the same time share one ticket.
 */
export interface LoadTicket {
  stale: boolean;
  holders: number;
  /**
   * Stores of the load's own result on their way to the backend (`Plan.store`): the first `set`
   * of the key that comes is taken for one of them and leaves the load shared (its callers get
   * the value being stored), instead of sending every caller meanwhile back to the backend.
   */
  storing?: number;
  /** The route's invalidation count when the ticket was made: a tag invalidated later outdates it. */
  readonly since: number;
}

/** Past this many tags invalidated during loads, the ones no load in flight can be outdated by are forgotten. */
const TAG_MEMORY = 1024;

/** A backend call made inside `Route.step`: it goes straight to the backend, not behind the key's queue. */
export type StepCall = <T>(command: string, fallback: T, fn: (backend: Backend) => Promise<T>) => Promise<T>;

/** One routed backend: runs commands through middlewares, `enable`, `timeout` and `suppress`. */
export class Route {
  readonly prefix: string;
  readonly backend: Backend;
  readonly codec: RecordCodec;
  readonly enabled: boolean;
  readonly suppress: boolean;
  /** True when some TTL must live in the record because the backend cannot expire it natively. */
  readonly envelopeExpiry: boolean;
  readonly minTtlMs: number;
  /** See `RouteConfig.copy`. */
  readonly copy: boolean;
  /** The backend's synchronous reader when nothing (middleware, `enable: false`) stands in between. */
  readonly slots: SlotReader | undefined;
  /** True when `slots` is the whole backend, so a slot miss is a miss (not so for a first tier). */
  readonly slotsComplete: boolean;
  readonly #timeoutMs: number | undefined;
  /** The backend may apply two commands in flight at once out of order (`BackendCapabilities.ordered`). */
  readonly #unordered: boolean;
  readonly #middlewares: readonly Middleware[];
  readonly #onError: ErrorHandler | undefined;
  #init: Promise<void> | undefined;
  #initialised: boolean;
  /** Commands waiting for the one-time init: a command that comes later queues behind them. */
  #awaitingInit = 0;
  #lastWarning = 0;
  /** Backend reads in flight by key, shared by concurrent readers of the same key. */
  readonly #reads = new Map<string, Promise<string | undefined>>();
  /** Read-then-load work in flight by key (`cached()`), shared and dropped like the reads. */
  readonly #fills = new Map<string, object>();
  /**
   * Keys whose later commands must wait: the turn of the last command holding each, which settles
   * once it has been handed to the backend (a write whose record is being compressed or signed),
   * or once it is answered (a `step`, or any command on a backend that may reorder them).
   */
  readonly #queued = new Map<string, Promise<void>>();
  /** The turn of the last queued command on several keys (or none), which every later command waits for. */
  #barrier: Promise<void> | undefined;
  /** Tickets of the loads in flight by key, until a write to the key makes them stale. */
  readonly #tickets = new Map<string, LoadTicket>();
  /** Counts tag invalidations; `#tagInvalidated` maps a tag to the count at its last one. */
  #invalidations = 0;
  readonly #tagInvalidated = new Map<string, number>();

  constructor(config: RouteConfig) {
    this.prefix = config.prefix;
    this.backend = config.backend;
    this.codec = config.codec;
    this.enabled = config.enabled;
    this.suppress = config.suppress;
    this.#timeoutMs = config.timeoutMs;
    this.#middlewares = config.middlewares;
    this.#onError = config.onError;
    const caps = config.backend.capabilities;
    this.envelopeExpiry = !caps.nativeTtl || caps.minTtlMs > 0;
    this.minTtlMs = caps.minTtlMs;
    this.#unordered = caps.ordered === false;
    this.#initialised = config.backend.init === undefined;
    this.copy = config.copy;
    // Tiers whose first tier reads synchronously answer hits from it; a miss there still has to
    // ask the tiers below, so only a backend that is itself the reader may report a miss.
    const first = config.backend instanceof TieredBackend ? config.backend.tiers[0] : config.backend;
    const reader = first as Partial<SlotReader> | undefined;
    this.slots =
      typeof reader?.readSlot === "function" && config.middlewares.length === 0 && config.enabled
        ? (reader as SlotReader)
        : undefined;
    this.slotsComplete = first === config.backend;
  }

  /** True once the backend's one-time init has finished (always for backends without one). */
  get initialised(): boolean {
    return this.#initialised;
  }

  /** True when a TTL of `ttlMs` has to be enforced through the record's header. */
  needsEnvelopeExpiry(ttlMs: number): boolean {
    return this.envelopeExpiry && (!this.backend.capabilities.nativeTtl || ttlMs < this.minTtlMs);
  }

  /** Native TTL to hand the backend for a wanted TTL (raised to the backend's floor). */
  nativeTtl(ttlMs: number | undefined): number | undefined {
    if (ttlMs === undefined || !this.backend.capabilities.nativeTtl) return undefined;
    return ttlMs < this.minTtlMs ? this.minTtlMs : ttlMs;
  }

  /** Runs a whole command through this route's middlewares. */
  run<T>(
    command: string,
    key: string | undefined,
    args: readonly unknown[],
    exec: () => Promise<T>,
  ): Promise<T> {
    if (this.#middlewares.length === 0) return exec();
    const call: CommandCall = { command, key, args, backend: this.backend.name };
    const chain = this.#middlewares;
    const step = (index: number): Promise<unknown> => {
      const middleware = chain[index];
      if (middleware === undefined) return exec();
      return Promise.resolve(middleware(call, () => step(index + 1)));
    };
    return step(0) as Promise<T>;
  }

  /**
   * The stored text of `key`, sharing one backend read among concurrent callers (each decodes
   * its own copy). A write drops the shared read of the key it writes (a command that may touch
   * several keys drops them all), so a read started after a write never gets an answer from
   * before it, while writes of other keys (a busy cache stores all the time) leave it shared.
   */
  readShared(key: string): Promise<string | undefined> {
    const flying = this.#reads.get(key);
    if (flying !== undefined) return flying;
    const pending = this.call("get", key, undefined, (backend) => backend.get(key));
    this.#reads.set(key, pending);
    const done = () => {
      if (this.#reads.get(key) === pending) this.#reads.delete(key);
    };
    pending.then(done, done);
    return pending;
  }

  /** The fill of `key` in flight on this route (see `shareFill`), unless a write to `key` dropped it. */
  fillOf(key: string): object | undefined {
    return this.#fills.get(key);
  }

  /**
   * Lets callers of `key` share `fill` (a read, then a load on a miss) until `done` settles or a
   * write to `key` drops it: after a write they must read again, as with shared reads.
   */
  shareFill(key: string, fill: object, done: Promise<unknown>): void {
    this.#fills.set(key, fill);
    const drop = () => {
      if (this.#fills.get(key) === fill) this.#fills.delete(key);
    };
    done.then(drop, drop);
  }

  /**
   * One backend call: waits for the backend's one-time init, applies `timeout`, and with
   * `suppress` turns a failure into `fallback` after reporting it.
   */
  call<T>(
    command: string,
    key: string | undefined,
    fallback: T,
    fn: (backend: Backend) => Promise<T>,
    keys?: readonly string[],
  ): Promise<T> {
    if (!this.enabled) return Promise.resolve(fallback);
    this.#dropShared(command, key, keys);
    if (this.#unordered) return this.#callAnswered(command, key, fallback, fn);
    if (this.#queued.size > 0 || this.#barrier !== undefined) {
      const prior = this.#prior(command, key);
      if (prior !== undefined) {
        let issued: Promise<T> | undefined;
        const turn = prior.then(() => {
          issued = this.#issue(command, key, fallback, fn);
        });
        this.#hold(command, key, turn);
        return turn.then(() => issued as Promise<T>);
      }
    }
    return this.#issue(command, key, fallback, fn);
  }

  /**
   * `call` on a backend that may apply commands in flight together out of order: the command
   * goes once the key's earlier ones are answered (a command on several keys, once every earlier
   * one is), and the key's later ones wait for its answer, or for its timeout; a write on several
   * keys holds every later command so.
   */
  #callAnswered<T>(
    command: string,
    key: string | undefined,
    fallback: T,
    fn: (backend: Backend) => Promise<T>,
  ): Promise<T> {
    // A read of no one key (getMany, ping, a count) waits for earlier writes but holds no one back.
    const holds = !READ_ONLY.has(command) || (key !== undefined && SINGLE.has(command));
    return this.#inTurn(command, key, () => this.#issue(command, key, fallback, fn), holds);
  }

  /**
   * Starts `start` once the commands `command` must wait for are over (see `#prior`); with
   * `holds`, the later ones wait until it settles. `start` begins from `prior`, so its settling
   * ends the whole turn.
   */
  #inTurn<T>(command: string, key: string | undefined, start: () => Promise<T>, holds: boolean): Promise<T> {
    const prior = this.#prior(command, key);
    const done = prior === undefined ? start() : prior.then(start);
    if (holds) this.#hold(command, key, done.then(settled, settled));
    return done;
  }

  /**
   * `call` for a command that needs `encoded` first (a record being compressed or signed, which
   * takes a promise). Commands on the key that come later wait until this one has been handed to
   * the backend, so the backend sees a key's commands in the order they were called: a small
   * value set after a large compressed one stays, and so does a delete. A command on several
   * keys waits for every such write. A value that is not a promise is passed on at once.
   */
  callEncoded<E, T>(
    command: string,
    key: string | undefined,
    encoded: E | Promise<E>,
    fallback: T,
    fn: (backend: Backend, encoded: E) => Promise<T>,
    keys?: readonly string[],
  ): Promise<T> {
    if (!(encoded instanceof Promise)) {
      const ready = encoded;
      return this.call(command, key, fallback, (backend) => fn(backend, ready), keys);
    }
    // Disabled, nothing is written, but a failure to encode still reaches the caller.
    if (!this.enabled) return encoded.then(() => fallback);
    this.#dropShared(command, key, keys);
    const prior = this.#prior(command, key);
    // `Promise.all` handles a failed encoding at once, even while an earlier turn is pending.
    const ready = prior === undefined ? encoded : Promise.all([prior, encoded]).then(([, value]) => value);
    const done = ready.then((value) => this.#issue(command, key, fallback, (backend) => fn(backend, value)));
    // Attached after `done`'s reaction, so the commands waiting for this turn go to the backend
    // after it; and a failed encoding still holds them until the earlier turn is over.
    // On a backend that may reorder commands in flight, the turn lasts until the answer.
    const turn = (this.#unordered ? done : ready).then(settled, settled);
    this.#hold(command, key, prior === undefined ? turn : Promise.all([prior, turn]).then(settled));
    return done;
  }

  /**
   * A command on `key` made of several backend calls that must not interleave with the key's
   * other commands (a read, then a write that depends on it: `set` with `exist` where the TTL
   * lives in records, `expire` that rewrites the record, `incr` that rewrites it). It waits for
   * the key's earlier commands, and the key's later commands wait until it is over, so within
   * this cache a delete or set called after it is never undone by its write. `run` makes its
   * backend calls through the `StepCall` it gets, which does not queue again.
   */
  step<T>(command: string, key: string, run: (call: StepCall) => Promise<T>): Promise<T> {
    const direct: StepCall = (name, fallback, fn) =>
      this.enabled ? this.#issue(name, key, fallback, fn) : Promise.resolve(fallback);
    if (!this.enabled) return run(direct);
    this.#dropShared(command, key, undefined);
    return this.#inTurn(command, key, () => run(direct), true);
  }

  /**
   * True while a command holds `key`'s turn (an encoding write, a `step`, or any command on a
   * backend that may reorder them), so a synchronous read would jump the queue.
   */
  queued(key: string): boolean {
    return this.#barrier !== undefined || (this.#queued.size > 0 && this.#queued.has(key));
  }

  /** What a command must wait for before it goes to the backend; `undefined` = nothing. */
  #prior(command: string, key: string | undefined): Promise<unknown> | undefined {
    if (key !== undefined && SINGLE.has(command)) {
      const own = this.#queued.get(key);
      if (own === undefined) return this.#barrier;
      return this.#barrier === undefined ? own : Promise.all([this.#barrier, own]);
    }
    if (this.#queued.size === 0) return this.#barrier;
    return Promise.all([this.#barrier, ...this.#queued.values()]);
  }

  /** Makes `turn` the one later commands on `key` (or, for a command on several keys, every later command) wait for. */
  #hold(command: string, key: string | undefined, turn: Promise<void>): void {
    if (key !== undefined && SINGLE.has(command)) {
      this.#queued.set(key, turn);
      turn.then(() => {
        if (this.#queued.get(key) === turn) this.#queued.delete(key);
      });
      return;
    }
    this.#barrier = turn;
    turn.then(() => {
      if (this.#barrier === turn) this.#barrier = undefined;
    });
  }

  /**
   * A ticket for a load of `key` that is about to begin; hand it back with `release` once the
   * load has stored (or given up). See `LoadTicket`.
   */
  ticket(key: string): LoadTicket {
    let ticket = this.#tickets.get(key);
    if (ticket === undefined) {
      ticket = { stale: false, holders: 0, since: this.#invalidations };
      this.#tickets.set(key, ticket);
    }
    ticket.holders++;
    return ticket;
  }

  /**
   * Marks stale the tickets of the loads in flight whose key `matches`: for an invalidation that
   * may reach keys no stored record names yet (`deleteMatch`), so a load that began before it
   * does not store after it.
   */
  staleLoads(matches: (key: string) => boolean): void {
    for (const [key, ticket] of this.#tickets) {
      if (!matches(key)) continue;
      ticket.stale = true;
      this.#tickets.delete(key);
    }
  }

  /**
   * Notes that `tags` were invalidated (`deleteTags`): a load in flight whose result carries one
   * of them is `outdated` and does not store it, even where no index lists its key yet.
   */
  invalidateTags(tags: readonly string[]): void {
    if (this.#tickets.size === 0) return; // no load in flight that it could outdate
    this.#invalidations++;
    for (const tag of tags) this.#tagInvalidated.set(tag, this.#invalidations);
    if (this.#tagInvalidated.size > TAG_MEMORY) {
      let oldest = this.#invalidations;
      for (const ticket of this.#tickets.values()) if (ticket.since < oldest) oldest = ticket.since;
      for (const [tag, at] of this.#tagInvalidated) if (at <= oldest) this.#tagInvalidated.delete(tag);
    }
  }

  /** True when `ticket` went stale, or one of `tags` (the result's) was invalidated after it was made. */
  outdated(ticket: LoadTicket, tags: readonly string[] | undefined): boolean {
    if (ticket.stale) return true;
    if (tags === undefined || this.#tagInvalidated.size === 0) return false;
    for (const tag of tags) if ((this.#tagInvalidated.get(tag) ?? 0) > ticket.since) return true;
    return false;
  }

  /** Hands back a ticket taken with `ticket`. */
  release(key: string, ticket: LoadTicket): void {
    ticket.holders--;
    if (ticket.holders === 0 && this.#tickets.get(key) === ticket) this.#tickets.delete(key);
    // Every load is over: no ticket left that a remembered tag could outdate.
    if (this.#tickets.size === 0 && this.#tagInvalidated.size > 0) this.#tagInvalidated.clear();
  }

  /**
   * Drops the shared reads and fills a writing command may make stale, and marks the tickets of
   * the loads in flight for the keys it writes stale: `keys` when the command names them, else
   * the one key of a one-key command, else every key (`clear`). The one-step `deleteTags` leaves
   * the tickets to `invalidateTags`, which knows the tags.
   */
  #dropShared(command: string, key: string | undefined, keys: readonly string[] | undefined): void {
    if (this.#reads.size + this.#fills.size + this.#tickets.size === 0 || READ_ONLY.has(command)) return;
    if (keys !== undefined) {
      for (const one of keys) this.#dropKey(one);
      return;
    }
    if (key !== undefined && ONE_KEY.has(command)) {
      this.#dropKey(key, command);
      return;
    }
    this.#reads.clear();
    this.#fills.clear();
    if (command === "deleteTags") return;
    for (const ticket of this.#tickets.values()) ticket.stale = true;
    this.#tickets.clear();
  }

  #dropKey(key: string, command?: string): void {
    this.#reads.delete(key);
    const ticket = this.#tickets.get(key);
    if (ticket !== undefined && command === "set" && (ticket.storing ?? 0) > 0) {
      ticket.storing = (ticket.storing as number) - 1; // the load's own store (see `LoadTicket.storing`)
      return;
    }
    this.#fills.delete(key);
    if (ticket !== undefined) {
      ticket.stale = true;
      this.#tickets.delete(key);
    }
  }

  /** Hands one command to the backend (see `call`). */
  #issue<T>(
    command: string,
    key: string | undefined,
    fallback: T,
    fn: (backend: Backend) => Promise<T>,
  ): Promise<T> {
    if (!this.#initialised || this.#awaitingInit > 0 || this.#timeoutMs !== undefined)
      return this.#callAsync(command, key, fallback, fn);
    // Every command of an initialised backend without `timeout` comes here: one promise, no async frame.
    const failed = (error: unknown) => this.fail(error, command, key, fallback);
    try {
      return Promise.resolve(fn(this.backend)).catch(failed);
    } catch (error) {
      return Promise.reject(error).catch(failed);
    }
  }

  async #callAsync<T>(
    command: string,
    key: string | undefined,
    fallback: T,
    fn: (backend: Backend) => Promise<T>,
  ): Promise<T> {
    try {
      // Once init is done, the commands that waited for it go first, in the order they came: a
      // command arriving meanwhile waits its turn instead of running ahead of them.
      // `timeout` bounds the whole command, the wait for the backend's init included: an init
      // that never settles (a server that accepts nothing) must not hang every command.
      const ms = this.#timeoutMs;
      const deadline = ms === undefined ? 0 : Date.now() + ms;
      if (!this.#initialised || this.#awaitingInit > 0) {
        this.#awaitingInit++;
        try {
          const ready = this.#ready();
          await (ms === undefined
            ? ready
            : withTimeout(ready, ms, this.backend.name, command, "the backend to connect or open"));
        } finally {
          this.#awaitingInit--;
        }
      }
      const pending = fn(this.backend);
      return ms === undefined
        ? await pending
        : await withTimeout(pending, ms, this.backend.name, command, undefined, deadline - Date.now());
    } catch (error) {
      return this.fail(error, command, key, fallback);
    }
  }

  /** Reports or throws a failure of `command`; returns `fallback` when suppressed. */
  fail<T>(error: unknown, command: string, key: string | undefined, fallback: T): T {
    // A refused argument, value or configuration is the caller's to fix, never a miss. Any
    // other failure is the backend's, a plain TypeError too (`fetch` rejects with one when the
    // server cannot be reached), and `suppress` applies to it.
    if (
      error instanceof CacheArgumentError ||
      error instanceof CacheValueError ||
      error instanceof CacheConfigError
    ) {
      throw error;
    }
    const wrapped = CacheError.is(error)
      ? error
      : new CacheBackendError(
          this.backend.name,
          errorMessage(
            this.backend.name,
            `${command} failed (${describe(error)})`,
            "check that the backend is reachable, or handle it through onError",
          ),
          { cause: error },
        );
    if (!this.suppress) throw wrapped;
    this.report(wrapped, command, key);
    return fallback;
  }

  /** Hands a suppressed error to `onError`, or warns at most once a minute without one. */
  report(error: CacheError, command: string, key: string | undefined): void {
    if (this.#onError !== undefined) {
      try {
        this.#onError(error, { command, key, backend: this.backend.name });
      } catch {
        // A throwing onError must not turn a suppressed failure into a crash.
      }
      return;
    }
    const now = Date.now();
    if (now - this.#lastWarning < WARN_EVERY_MS) return;
    this.#lastWarning = now;
    console.warn(
      `${error.message} (further failures of this backend are not logged for a minute; pass onError to see them all)`,
    );
  }

  /** `pending` bounded by this route's `timeout` (for iterating commands, one page at a time). */
  bounded<T>(pending: Promise<T>, command: string): Promise<T> {
    return this.#timeoutMs === undefined
      ? pending
      : withTimeout(pending, this.#timeoutMs, this.backend.name, command);
  }

  /** Resolves once the backend's one-time init has run, for callers that use the backend directly (scans). */
  ready(): Promise<void> {
    return this.#initialised ? Promise.resolve() : this.#ready();
  }

  #ready(): Promise<void> {
    if (this.#init === undefined) {
      const init = this.backend.init?.() ?? Promise.resolve();
      this.#init = init.then(
        () => {
          this.#initialised = true;
        },
        (error: unknown) => {
          this.#init = undefined; // let the next command try again
          throw error;
        },
      );
    }
    return this.#init;
  }

  /** Closes the backend and lets the next command initialise it again. */
  async close(): Promise<void> {
    this.#init = undefined;
    this.#initialised = this.backend.init === undefined;
    await this.backend.close?.();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** `pending`, or a `CacheBackendError` naming the `ms` timeout once `leftMs` (what is left of it) has passed. */
function withTimeout<T>(
  pending: Promise<T>,
  ms: number,
  backend: string,
  command: string,
  waitingFor?: string,
  leftMs = ms,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        reject(
          new CacheBackendError(
            backend,
            errorMessage(
              backend,
              waitingFor === undefined
                ? `${command} timed out after ${ms} ms`
                : `${command} timed out after ${ms} ms waiting for ${waitingFor}`,
              "check that the backend is reachable, or raise the `timeout` option",
            ),
          ),
        );
      },
      Math.max(1, leftMs),
    );
  });
  pending.catch(() => undefined); // a late rejection after the timeout is not unhandled
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
