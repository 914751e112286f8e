import {
  CacheArgumentError,
  CacheBackendError,
  CacheConfigError,
  CacheError,
  CacheValueError,
  errorMessage,
} from "./errors";
import type { Backend } from "./types";

/** Receives backend failures that `suppress` turned into misses or no-ops. */
export type ErrorHandler = (
  error: CacheError,
  call: { command: string; key: string | undefined; backend: string },
) => void;

const WARN_EVERY_MS = 60_000;

/**
 * A failure `suppress` reported, handed back in place of a fallback to a caller that asked for it
 * by passing `SUPPRESSED` as the fallback: a command that has no answer standing for a failure
 * (`ping`, a health check) rejects with the very error onError got.
 */
export class Suppressed {
  constructor(readonly error: CacheError) {}
}

/** The fallback that asks `issue` (through `Route.call`) for a suppressed failure as a `Suppressed`. */
export const SUPPRESSED: unique symbol = Symbol("the suppressed failure");

/**
 * A route's backend behind its one-time init, `timeout` and `suppress`: every backend call of
 * the route goes through `issue`, once the route's ordering lets it go.
 */
export class BackendGuard {
  readonly backend: Backend;
  readonly #suppress: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #onError: ErrorHandler | undefined;
  #init: Promise<void> | undefined;
  #initialised: boolean;
  /** Commands waiting for the one-time init: a command that comes later queues behind them. */
  #awaitingInit = 0;
  #lastWarning = 0;

  constructor(
    backend: Backend,
    suppress: boolean,
    timeoutMs: number | undefined,
    onError: ErrorHandler | undefined,
  ) {
    this.backend = backend;
    this.#suppress = suppress;
    this.#timeoutMs = timeoutMs;
    this.#onError = onError;
    this.#initialised = backend.init === undefined;
  }

  /** True once the backend's one-time init has finished (always for backends without one). */
  get initialised(): boolean {
    return this.#initialised;
  }

  /** Hands one command to the backend (see `Route.call`). */
  issue<T>(
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
    if (!this.#suppress) throw wrapped;
    this.report(wrapped, command, key);
    return (fallback === SUPPRESSED ? new Suppressed(wrapped) : fallback) as T;
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

  /** `pending` bounded by the `timeout` (for iterating commands, one page at a time). */
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
