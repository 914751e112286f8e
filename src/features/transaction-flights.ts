// The loads of one transaction (`getOrSet`, a wrapped function's load) shared by its own callers
// of a key, as the cache shares loads outside: never with callers outside the transaction or in
// another one, since a load inside reads the transaction's pending writes and one outside does not.
import type { CacheCore } from "../core/cache";
import { TICKET_MAX_AGE_MS } from "../core/in-flight";
import type { LoadTicket, Route } from "../core/route";
import { SingleFlight, type TicketDesk } from "../core/single-flight";

/** The route's ticket a transaction's own ticket stands for, held while its load runs. */
interface Held {
  readonly route: Route;
  readonly shared: LoadTicket;
}

/**
 * One transaction's single-flight and the tickets of its loads. A ticket here is the
 * transaction's own: it goes stale when the transaction writes the key (its staged writes never
 * reach the route), not when another caller writes it outside (the commit lands over that write
 * anyway). It counts tag invalidations from the route ticket it holds meanwhile, which also keeps
 * the route noting them (`deleteTags` inside included), and has the route's age limit.
 */
export class TransactionFlights implements TicketDesk {
  readonly #cache: CacheCore;
  readonly #flight = new SingleFlight();
  readonly #held = new Map<LoadTicket, Held>();
  /** The ticket of the load of each key that callers of the key may still share. */
  readonly #current = new Map<string, LoadTicket>();

  constructor(cache: CacheCore) {
    this.#cache = cache;
  }

  /** Runs `load` for `key` unless one of this transaction's runs for it is in flight, then shares that one. */
  run<T>(key: string, load: (ticket: LoadTicket) => Promise<T>): Promise<T> {
    return this.#flight.run(key, load, this);
  }

  ticket(key: string): LoadTicket {
    const route = this.#cache.routeFor(key);
    const shared = route.ticket(key);
    const own: LoadTicket = { stale: false, holders: 1, since: shared.since, seen: this.#cache.clock.now() };
    this.#held.set(own, { route, shared });
    this.#current.set(key, own);
    return own;
  }

  /** Not stale, nor older than the age limit (`TICKET_MAX_AGE_MS`, as outside: then abandoned). */
  live(key: string, ticket: LoadTicket): boolean {
    if (ticket.stale) return false;
    if (this.#cache.clock.now() - ticket.seen <= TICKET_MAX_AGE_MS) return true;
    ticket.stale = true;
    if (this.#current.get(key) === ticket) this.#current.delete(key);
    return false;
  }

  release(key: string, ticket: LoadTicket): void {
    const held = this.#held.get(ticket);
    this.#held.delete(ticket);
    if (this.#current.get(key) === ticket) this.#current.delete(key);
    held?.route.release(key, held.shared);
  }

  /**
   * A write of `key` was called in the transaction (told on the call, before it waits for the
   * key's turn or lock): the load of it in flight must neither be shared after it nor stage its
   * result over it, unless this write is that load's own result (`LoadTicket.storing`, as a route
   * counts a load's own `set`).
   */
  written(key: string): void {
    const ticket = this.#current.get(key);
    if (ticket === undefined) return;
    if ((ticket.storing ?? 0) > 0) {
      ticket.storing = (ticket.storing as number) - 1;
      return;
    }
    ticket.stale = true;
    this.#current.delete(key);
  }
}
