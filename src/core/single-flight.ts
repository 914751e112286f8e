import type { LoadTicket } from "./route";

/** Where a flight takes the ticket of the key it loads (a `Route`). */
export interface TicketDesk {
  ticket(key: string): LoadTicket;
  /** True while loads holding `ticket` may be shared: not stale, nor abandoned for its age. */
  live(key: string, ticket: LoadTicket): boolean;
  release(key: string, ticket: LoadTicket): void;
}

interface Flight {
  readonly promise: Promise<unknown>;
  readonly ticket: LoadTicket;
  readonly desk: TicketDesk;
}

/**
 * Shares one in-flight execution per key between concurrent callers in this process: the first
 * caller runs `load`, the others await the same promise, and the entry is gone once it settles.
 * A write to the key while it runs (an invalidation) detaches it: callers after the write start
 * a fresh load instead of sharing one that began before it. So does its ticket's age limit
 * (`TICKET_MAX_AGE_MS`): a load that never settles (its request cut off) holds no caller after it.
 */
export class SingleFlight {
  readonly #inflight = new Map<string, Flight>();

  /**
   * Runs `load` for `key` unless a run for it is already in flight, then shares that one. `load`
   * gets the run's ticket for `key` (taken from `desk`), stale once the key is written.
   */
  run<T>(key: string, load: (ticket: LoadTicket) => Promise<T>, desk: TicketDesk): Promise<T> {
    const existing = this.peek(key);
    if (existing !== undefined) return existing as Promise<T>;
    const ticket = desk.ticket(key);
    const pending = load(ticket).finally(() => {
      desk.release(key, ticket);
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
    });
    const flight: Flight = { promise: pending, ticket, desk };
    this.#inflight.set(key, flight);
    return pending;
  }

  /** The run in flight for `key`, if any began after the key's last write and is not abandoned. */
  peek(key: string): Promise<unknown> | undefined {
    const flight = this.#inflight.get(key);
    return flight === undefined || !flight.desk.live(key, flight.ticket) ? undefined : flight.promise;
  }

  /** Number of loads in flight. */
  get size(): number {
    return this.#inflight.size;
  }
}
