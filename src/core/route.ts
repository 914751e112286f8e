import { BackendGuard, type ErrorHandler } from "./backend-guard";
import type { Clock } from "./clock";
import { READ_ONLY, SINGLE } from "./command-kinds";
import type { RecordCodec } from "./envelope";
import type { CacheError } from "./errors";
import { InFlight, type LoadTicket } from "./in-flight";
import { KeyTurns, settled } from "./key-turns";
import { type Middleware, runChain } from "./middleware-chain";
import { TieredBackend } from "./tiers";
import type { Backend } from "./types";

// Route's own signatures use these; their importers keep importing them from here.
export type { ErrorHandler } from "./backend-guard";
export type { LoadTicket } from "./in-flight";
export type { CommandCall, Middleware } from "./middleware-chain";

/**
 * A backend that can answer a read synchronously (the memory backend): the live entry's text
 * plus a slot for the value decoded from it. Lets a cache hit skip every promise but the last.
 */
export interface SlotReader {
  readSlot(key: string): ReadSlot | undefined;
}

/** A slot of a `SlotReader`: the text, the value a route decoded from it, and that route's `keeper`. */
export interface ReadSlot {
  readonly value: string;
  decoded: unknown;
  keeper: unknown;
}

/** One keeper per serializer for reference mode; isolated mode uses the serializer itself. */
const referenceKeepers = new WeakMap<object, object>();

/**
 * Who may reuse a value kept on a memory slot: routes with the same serializer and `copy` mode.
 * Another mode would hand out an isolated cache's private value, or copies of a shared one that
 * its callers mutate; another serializer would get a value it did not decode.
 */
function keeperOf(serializer: object, copy: boolean): object {
  if (copy) return serializer;
  let keeper = referenceKeepers.get(serializer);
  if (keeper === undefined) {
    keeper = {};
    referenceKeepers.set(serializer, keeper);
  }
  return keeper;
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
  /**
   * True when the backend expires nothing (`nativeTtl: false`): every TTL lives in records, so
   * the backend keeps expired records until they are deleted, and a lock's TTL handed to it would
   * be dropped. A backend with a TTL floor (`minTtlMs`) does expire a lock, at the floor at least.
   */
  readonly expiresNothing: boolean;
  readonly minTtlMs: number;
  /** See `RouteConfig.copy`. */
  readonly copy: boolean;
  /** Marks the values this route keeps on memory slots; see `keeperOf`. */
  readonly keeper: object;
  /** The backend's synchronous reader when nothing (middleware, `enable: false`) stands in between. */
  readonly slots: SlotReader | undefined;
  /** True when `slots` is the whole backend, so a slot miss is a miss (not so for a first tier). */
  readonly slotsComplete: boolean;
  /** The backend may apply two commands in flight at once out of order (`BackendCapabilities.ordered`). */
  readonly #unordered: boolean;
  readonly #middlewares: readonly Middleware[];
  /** The one-time init, `timeout` and `suppress` every backend call goes through. */
  readonly #guard: BackendGuard;
  /** The turns of the commands that later commands on their keys must wait for. */
  readonly #turns = new KeyTurns();
  /** Reads, fills and load tickets in flight, dropped or made stale by writes. */
  readonly #inFlight: InFlight;

  /** A route for `config`; `clock` (the cache's) ages the tickets of its loads (see `InFlight.ticket`). */
  constructor(config: RouteConfig, clock: Clock) {
    this.#inFlight = new InFlight(clock);
    this.prefix = config.prefix;
    this.backend = config.backend;
    this.codec = config.codec;
    this.enabled = config.enabled;
    this.suppress = config.suppress;
    this.#middlewares = config.middlewares;
    this.#guard = new BackendGuard(config.backend, config.suppress, config.timeoutMs, config.onError);
    const caps = config.backend.capabilities;
    this.envelopeExpiry = !caps.nativeTtl || caps.minTtlMs > 0;
    this.expiresNothing = !caps.nativeTtl;
    this.minTtlMs = caps.minTtlMs;
    this.#unordered = caps.ordered === false;
    this.copy = config.copy;
    this.keeper = keeperOf(config.codec.serializer, config.copy);
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
    return this.#guard.initialised;
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
    return runChain(this.#middlewares, { command, key, args, backend: this.backend.name }, exec);
  }

  /**
   * The stored text of `key`, sharing one backend read among concurrent callers (each decodes
   * its own copy). A write drops the shared read of the key it writes (a command that may touch
   * several keys drops them all), so a read started after a write never gets an answer from
   * before it, while writes of other keys (a busy cache stores all the time) leave it shared.
   */
  readShared(key: string): Promise<string | undefined> {
    const flying = this.#inFlight.readOf(key);
    if (flying !== undefined) return flying;
    const pending = this.call("get", key, undefined, (backend) => backend.get(key));
    this.#inFlight.shareRead(key, pending);
    return pending;
  }

  /** The fill of `key` in flight on this route, unless a write to `key` dropped it (see `InFlight.shareFill`). */
  fillOf(key: string): object | undefined {
    return this.#inFlight.fillOf(key);
  }

  /** Lets callers of `key` share `fill` until `done` settles or a write to `key` drops it (see `InFlight`). */
  shareFill(key: string, fill: object, done: Promise<unknown>): void {
    this.#inFlight.shareFill(key, fill, done);
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
    this.#inFlight.drop(command, key, keys);
    if (this.#unordered) return this.#callAnswered(command, key, fallback, fn);
    if (this.#turns.busy) {
      const prior = this.#turns.prior(command, key);
      if (prior !== undefined) {
        let issued: Promise<T> | undefined;
        const turn = prior.then(() => {
          issued = this.#guard.issue(command, key, fallback, fn);
        });
        this.#turns.hold(command, key, turn);
        return turn.then(() => issued as Promise<T>);
      }
    }
    return this.#guard.issue(command, key, fallback, fn);
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
    return this.#turns.inTurn(command, key, () => this.#guard.issue(command, key, fallback, fn), holds);
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
    this.#inFlight.drop(command, key, keys);
    const prior = this.#turns.prior(command, key);
    // `Promise.all` handles a failed encoding at once, even while an earlier turn is pending.
    const ready = prior === undefined ? encoded : Promise.all([prior, encoded]).then(([, value]) => value);
    const done = ready.then((value) =>
      this.#guard.issue(command, key, fallback, (backend) => fn(backend, value)),
    );
    // Attached after `done`'s reaction, so the commands waiting for this turn go to the backend
    // after it; and a failed encoding still holds them until the earlier turn is over.
    // On a backend that may reorder commands in flight, the turn lasts until the answer.
    const turn = (this.#unordered ? done : ready).then(settled, settled);
    this.#turns.hold(command, key, prior === undefined ? turn : Promise.all([prior, turn]).then(settled));
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
      this.enabled ? this.#guard.issue(name, key, fallback, fn) : Promise.resolve(fallback);
    if (!this.enabled) return run(direct);
    this.#inFlight.drop(command, key, undefined);
    return this.#turns.inTurn(command, key, () => run(direct), true);
  }

  /** True while a command holds `key`'s turn, so a synchronous read would jump the queue (see `KeyTurns`). */
  queued(key: string): boolean {
    return this.#turns.queued(key);
  }

  /** A ticket for a load of `key` that is about to begin (see `InFlight.ticket`). */
  ticket(key: string): LoadTicket {
    return this.#inFlight.ticket(key);
  }

  /** Drops the work in flight on `key` for a refresh about to load it (see `InFlight.supersede`). */
  supersede(key: string): void {
    this.#inFlight.supersede(key);
  }

  /** True while the loads holding `ticket` may be shared: not stale, nor abandoned (see `InFlight.live`). */
  live(key: string, ticket: LoadTicket): boolean {
    return this.#inFlight.live(key, ticket);
  }

  /** Restarts the age of `ticket`, whose holder is still at work (see `InFlight.renew`). */
  renew(ticket: LoadTicket): void {
    this.#inFlight.renew(ticket);
  }

  /** Marks stale the tickets of the loads in flight whose key `matches` (see `InFlight.staleLoads`). */
  staleLoads(matches: (key: string) => boolean): void {
    this.#inFlight.staleLoads(matches);
  }

  /** Notes that `tags` were invalidated, outdating the loads in flight that carry them (see `InFlight`). */
  invalidateTags(tags: readonly string[]): void {
    this.#inFlight.invalidateTags(tags);
  }

  /** True when `ticket` went stale, or one of `tags` (the result's) was invalidated after it was made. */
  outdated(ticket: LoadTicket, tags: readonly string[] | undefined): boolean {
    return this.#inFlight.outdated(ticket, tags);
  }

  /** Hands back a ticket taken with `ticket`. */
  release(key: string, ticket: LoadTicket): void {
    this.#inFlight.release(key, ticket);
  }

  /** Reports or throws a failure of `command`; returns `fallback` when suppressed. */
  fail<T>(error: unknown, command: string, key: string | undefined, fallback: T): T {
    return this.#guard.fail(error, command, key, fallback);
  }

  /** Hands a suppressed error to `onError`, or warns at most once a minute without one. */
  report(error: CacheError, command: string, key: string | undefined): void {
    this.#guard.report(error, command, key);
  }

  /** `pending` bounded by this route's `timeout` (for iterating commands, one page at a time). */
  bounded<T>(pending: Promise<T>, command: string): Promise<T> {
    return this.#guard.bounded(pending, command);
  }

  /** Resolves once the backend's one-time init has run, for callers that use the backend directly (scans). */
  ready(): Promise<void> {
    return this.#guard.ready();
  }

  /** Closes the backend and lets the next command initialise it again. */
  close(): Promise<void> {
    return this.#guard.close();
  }
}
