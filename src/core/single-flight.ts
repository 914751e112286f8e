import type { LoadTicket } from "./route";

/** Where a flight takes the ticket of the key it loads (a `Route`). */
export interface TicketDesk {
  ticket(key: string): LoadTicket;
  release(key: string, ticket: LoadTicket): void;
}

interface Flight {
  readonly promise: Promise<unknown>;
  readonly ticket: LoadTicket;
}

/**
 * Shares one in-flight execution per key between concurrent callers in this process: the first
 * caller runs `load`, the others await the same promise, and the entry is gone once it settles.
 * A write to the key while it runs (an invalidation) detaches it: callers after the write start
 * a fresh load instead of sharing one that began before it.
 */
export class SingleFlight {
  readonly #inflight = new Map<string, Flight>();

  /**
   * Runs `load` for `key` unless a run for it is already in flight, then shares that one. `load`
   * gets the run's ticket for `key` (taken from `desk`), stale once the key is written.
   */
  run<T>(key: string, load: (ticket: LoadTicket) => Promise<T>, desk: TicketDesk): Promise<T> {
    const existing = this.#inflight.get(key);
    if (existing !== undefined && !existing.ticket.stale) return existing.promise as Promise<T>;
    const ticket = desk.ticket(key);
    const pending = load(ticket).finally(() => {
      desk.release(key, ticket);
      if (this.#inflight.get(key) === flight) this.#inflight.delete(key);
    });
    const flight: Flight = { promise: pending, ticket };
    this.#inflight.set(key, flight);
    return pending;
  }

  /** The run in flight for `key`, if any began after the key's last write. */
  peek(key: string): Promise<unknown> | undefined {
    const flight = this.#inflight.get(key);
    return flight === undefined || flight.ticket.stale ? undefined : flight.promise;
  }

  /** Number of loads in flight. */
  get size(): number {
    return this.#inflight.size;
  }
}
