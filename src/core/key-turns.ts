import { SINGLE } from "./command-kinds";

/** Settles a turn whatever the command it follows did. */
export const settled = (): void => undefined;

/**
 * The turns a route's later commands wait for, so the backend sees a key's commands in the order
 * they were called: one per key for commands on one key, one barrier for commands on several.
 */
export class KeyTurns {
  /**
   * Keys whose later commands must wait: the turn of the last command holding each, which settles
   * once it has been handed to the backend (a write whose record is being compressed or signed),
   * or once it is answered (a `step`, or any command on a backend that may reorder them).
   */
  readonly #queued = new Map<string, Promise<void>>();
  /** The turn of the last queued command on several keys (or none), which every later command waits for. */
  #barrier: Promise<void> | undefined;

  /** True while some command holds a turn, so a new command may have to wait for it. */
  get busy(): boolean {
    return this.#queued.size > 0 || this.#barrier !== undefined;
  }

  /**
   * True while a command holds `key`'s turn (an encoding write, a `step`, or any command on a
   * backend that may reorder them), so a synchronous read would jump the queue.
   */
  queued(key: string): boolean {
    return this.#barrier !== undefined || (this.#queued.size > 0 && this.#queued.has(key));
  }

  /**
   * Starts `start` once the commands `command` must wait for are over (see `prior`); with
   * `holds`, the later ones wait until it settles. `start` begins from `prior`, so its settling
   * ends the whole turn.
   */
  inTurn<T>(command: string, key: string | undefined, start: () => Promise<T>, holds: boolean): Promise<T> {
    const prior = this.prior(command, key);
    const done = prior === undefined ? start() : prior.then(start);
    if (holds) this.hold(command, key, done.then(settled, settled));
    return done;
  }

  /** What a command must wait for before it goes to the backend; `undefined` = nothing. */
  prior(command: string, key: string | undefined): Promise<unknown> | undefined {
    if (key !== undefined && SINGLE.has(command)) {
      const own = this.#queued.get(key);
      if (own === undefined) return this.#barrier;
      return this.#barrier === undefined ? own : Promise.all([this.#barrier, own]);
    }
    if (this.#queued.size === 0) return this.#barrier;
    return Promise.all([this.#barrier, ...this.#queued.values()]);
  }

  /** Makes `turn` the one later commands on `key` (or, for a command on several keys, every later command) wait for. */
  hold(command: string, key: string | undefined, turn: Promise<void>): void {
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
}
