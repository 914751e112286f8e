import type { Clock } from "./clock";
import { ONE_KEY, READ_ONLY } from "./command-kinds";

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
  /** When it was made or last renewed (`InFlight.renew`), on the cache's clock: its age counts from then. */
  seen: number;
}

/**
 * How long a ticket may go without being renewed before the next caller of its key counts it
 * abandoned (ms). Nothing hands back the ticket of an iterator dropped without `return()` where
 * timers never fire (Workers drops them when a request ends), nor of a load whose promise never
 * settles; checked when another caller wants the ticket, so no timer is needed. Longer than every
 * wait the library has: the iterator's one-minute pause limit (whose timer lets go first where
 * timers run), a locked load's 10 s lock and a transaction lock's 60 s TTL; a load slower than
 * this is shared until then, and only then does a new caller load for itself.
 */
export const TICKET_MAX_AGE_MS = 120_000;

/** Past this many tags invalidated during loads, the ones no load in flight can be outdated by are forgotten. */
const TAG_MEMORY = 1024;

/** Tickets held at once (of different keys) past which making one first drops those abandoned. */
const SWEEP_FROM = 256;

/**
 * The work in flight on one route's keys that callers share until a write makes it stale:
 * backend reads, read-then-load fills, and the tickets of loads.
 */
export class InFlight {
  /** Backend reads in flight by key, shared by concurrent readers of the same key. */
  readonly #reads = new Map<string, Promise<string | undefined>>();
  /** Read-then-load work in flight by key (`cached()`), shared and dropped like the reads. */
  readonly #fills = new Map<string, object>();
  /** Tickets of the loads in flight by key, until a write to the key makes them stale. */
  readonly #tickets = new Map<string, LoadTicket>();
  /** Counts tag invalidations; `#tagInvalidated` maps a tag to the count at its last one. */
  #invalidations = 0;
  readonly #tagInvalidated = new Map<string, number>();
  readonly #clock: Clock;
  /** The number of tickets held at which the next one made sweeps out the abandoned (see `SWEEP_FROM`). */
  #sweepAt = SWEEP_FROM;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The backend read of `key` in flight (see `shareRead`), unless a write to `key` dropped it. */
  readOf(key: string): Promise<string | undefined> | undefined {
    return this.#reads.get(key);
  }

  /** Lets readers of `key` share `pending` until it settles or a write to `key` drops it. */
  shareRead(key: string, pending: Promise<string | undefined>): void {
    this.#reads.set(key, pending);
    const done = () => {
      if (this.#reads.get(key) === pending) this.#reads.delete(key);
    };
    pending.then(done, done);
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
   * A ticket for a load of `key` that is about to begin; hand it back with `release` once the
   * load has stored (or given up). Loads of `key` in flight share one, unless it is older than
   * `TICKET_MAX_AGE_MS`: then it is abandoned (stale, so its load stores nothing if it ever ends)
   * and this load gets a fresh one. See `LoadTicket`.
   */
  ticket(key: string): LoadTicket {
    const now = this.#clock.now();
    let ticket = this.#tickets.get(key);
    if (ticket !== undefined && now - ticket.seen > TICKET_MAX_AGE_MS) {
      this.#abandon(key, ticket);
      ticket = undefined;
    }
    if (ticket === undefined) {
      if (this.#tickets.size >= this.#sweepAt) this.#sweep(now);
      ticket = { stale: false, holders: 0, since: this.#invalidations, seen: now };
      this.#tickets.set(key, ticket);
    }
    ticket.holders++;
    return ticket;
  }

  /**
   * True while the loads holding `ticket` may be shared: it is not stale, nor older than
   * `TICKET_MAX_AGE_MS` (then it is abandoned here, as `ticket` would).
   */
  live(key: string, ticket: LoadTicket): boolean {
    if (ticket.stale) return false;
    if (this.#clock.now() - ticket.seen <= TICKET_MAX_AGE_MS) return true;
    this.#abandon(key, ticket);
    return false;
  }

  /** Notes that a holder of `ticket` is still at work (a stream handing out a chunk): its age starts again. */
  renew(ticket: LoadTicket): void {
    ticket.seen = this.#clock.now();
  }

  /** Gives up on `ticket`: stale, so a load that ends after all stores nothing, and no longer `key`'s. */
  #abandon(key: string, ticket: LoadTicket): void {
    ticket.stale = true;
    if (this.#tickets.get(key) === ticket) this.#tickets.delete(key);
  }

  /** Abandons every ticket past its age: each dropped iterator of another key would stay otherwise. */
  #sweep(now: number): void {
    for (const [key, ticket] of this.#tickets)
      if (now - ticket.seen > TICKET_MAX_AGE_MS) this.#abandon(key, ticket);
    this.#sweepAt = Math.max(SWEEP_FROM, this.#tickets.size * 2);
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
    if (this.#tagInvalidated.size > TAG_MEMORY) this.#forgetTags();
  }

  /** Forgets the tags no ticket in use can be outdated by; an abandoned ticket keeps none. */
  #forgetTags(): void {
    this.#sweep(this.#clock.now());
    let oldest = this.#invalidations;
    for (const ticket of this.#tickets.values()) if (ticket.since < oldest) oldest = ticket.since;
    for (const [tag, at] of this.#tagInvalidated) if (at <= oldest) this.#tagInvalidated.delete(tag);
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
  drop(command: string, key: string | undefined, keys: readonly string[] | undefined): void {
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

  /**
   * Drops the work in flight on `key` as a write to it would (see `drop`), for a `refresh` that is
   * about to load it: a load that began earlier stores nothing, and callers from now on do not
   * share it. Unlike a `set`, nothing of it is taken for a load's own store.
   */
  supersede(key: string): void {
    this.#dropKey(key);
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
}
