/** Stable machine-readable codes carried by every isocache error. */
export type CacheErrorCode =
  | "E_CACHE"
  | "E_CONFIG"
  | "E_BACKEND"
  | "E_RATE_LIMIT"
  | "E_CIRCUIT_OPEN"
  | "E_LOCKED"
  | "E_TRANSACTION"
  | "E_VALUE"
  | "E_ARGUMENT";

/** Options accepted by every isocache error constructor. */
export interface CacheErrorOptions {
  /** The underlying error, kept as `cause`. */
  cause?: unknown;
}

const BRAND = Symbol.for("isocache.error");

/**
 * Base class of every error isocache throws; carries a string `code`.
 * Use `CacheError.is(err)` to check across realms and duplicated bundles.
 */
export class CacheError extends Error {
  /** Machine-readable code such as `E_CONFIG`. */
  readonly code: CacheErrorCode;

  constructor(message: string, code: CacheErrorCode = "E_CACHE", options?: CacheErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Spelled out: bundlers and minifiers rename classes (esbuild emits `class _CacheError`). Each
    // subclass here names itself too; a user's own subclass keeps its class name.
    this.name = new.target === CacheError ? "CacheError" : new.target.name;
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for any isocache error, even one created by another copy of the library. */
  static is(value: unknown): value is CacheError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * `err instanceof CacheError` holds for every isocache error, as `CacheError.is` does: one from
   * another copy of the library, and `CacheArgumentError`, which is a `TypeError`; and, as usual,
   * for whatever has `CacheError.prototype` in its chain. The subclasses check their chain only.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about, a subclass too.
    const ordinary = Function.prototype[Symbol.hasInstance].call(this, value);
    // biome-ignore lint/complexity/noThisInStatic: as above.
    return ordinary || (this === CacheError && CacheError.is(value));
  }
}

/**
 * A call was given an argument of the wrong type: a key or key pattern that is not a non-empty
 * string, an `incr` amount that is not a finite number, a raw value that is not a string. It is a
 * `TypeError`, as SPEC 4 has bad keys throw, and an isocache error too: `instanceof CacheError`
 * and `CacheError.is` hold, and its `code` is `E_ARGUMENT`. Thrown (or rejected) before anything
 * reaches a backend.
 */
export class CacheArgumentError extends TypeError {
  /** Always `E_ARGUMENT`. */
  readonly code: CacheErrorCode = "E_ARGUMENT";

  constructor(message: string) {
    super(message);
    this.name = "CacheArgumentError";
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** A setup option, URL, duration, key template or strategy option is invalid. */
export class CacheConfigError extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_CONFIG", options);
    this.name = "CacheConfigError";
  }
}

/** A backend call failed or timed out while `suppress: false`. */
export class CacheBackendError extends CacheError {
  /** Name of the backend that failed, such as `memory` or `redis`. */
  readonly backend: string;

  constructor(backend: string, message: string, options?: CacheErrorOptions) {
    super(message, "E_BACKEND", options);
    this.name = "CacheBackendError";
    this.backend = backend;
  }
}

/** A rate-limited function was called more often than its limit allows. */
export class RateLimitError extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_RATE_LIMIT", options);
    this.name = "RateLimitError";
  }
}

/** A circuit breaker is open: calls are refused until its TTL ends. */
export class CircuitBreakerOpen extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_CIRCUIT_OPEN", options);
    this.name = "CircuitBreakerOpen";
  }
}

/** A lock could not be obtained (held by another caller, or not within the wait). */
export class LockedError extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_LOCKED", options);
    this.name = "LockedError";
  }
}

/** A transaction was used after it ended (a commit whose write fails rejects with that write's error). */
export class TransactionError extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_TRANSACTION", options);
    this.name = "TransactionError";
  }
}

/** Formats a message the way every isocache error reads: `[isocache] [scope] problem: remedy`. */
export function errorMessage(scope: string | undefined, problem: string, remedy: string): string {
  return `[isocache]${scope ? ` [${scope}]` : ""} ${problem}: ${remedy}`;
}

/** A stored value has the wrong type for the command (for example `incr` on a non-number). */
export class CacheValueError extends CacheError {
  constructor(message: string, options?: CacheErrorOptions) {
    super(message, "E_VALUE", options);
    this.name = "CacheValueError";
  }
}
