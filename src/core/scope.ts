import type { LoadTicket } from "./in-flight";

/** Every command name of the basic API, for `disable`, `enable`, `disabling` and `callback`. */
export const Command = {
  GET: "get",
  SET: "set",
  EXISTS: "exists",
  GET_OR_SET: "getOrSet",
  GET_MANY: "getMany",
  SET_MANY: "setMany",
  GET_MATCH: "getMatch",
  SCAN: "scan",
  INCR: "incr",
  DELETE: "delete",
  DELETE_MANY: "deleteMany",
  DELETE_MATCH: "deleteMatch",
  EXPIRE: "expire",
  GET_EXPIRE: "getExpire",
  PING: "ping",
  CLEAR: "clear",
  GET_KEYS_COUNT: "getKeysCount",
  SET_LOCK: "setLock",
  UNLOCK: "unlock",
  IS_LOCKED: "isLocked",
  SET_RAW: "setRaw",
  GET_RAW: "getRaw",
  DELETE_TAGS: "deleteTags",
} as const;

/** A command name of the basic API. */
export type Command = (typeof Command)[keyof typeof Command];

/** One cache hit seen by `detect`. */
export interface DetectedCall {
  /** The strategy (`cached`, `early`, ...) or command (`get`) that served the hit. */
  name: string;
  /** The TTL it was stored with, in milliseconds, when known. */
  ttl: number | undefined;
  /** Name of the backend that served it. */
  backend: string;
}

/** A callback registered with `callback(fn, { command }, scope)`. */
export interface CommandCallback {
  readonly command: string | undefined;
  readonly fn: (key: string | undefined, result: unknown) => void;
}

/** Hands background work to the platform so it is not cut off after the response. */
export type WaitUntil = (promise: Promise<unknown>) => void;

/**
 * What one async context changes about a cache. Each scope is a mutable object: `disable()`
 * inside a scope changes that scope only; children start from a copy of their parent.
 */
export interface Scope {
  /** Disabled command names; `"*"` disables every command. */
  disabled: Set<string> | undefined;
  /** Inside `invalidateFurther`: cached reads miss and refresh. */
  invalidate: boolean;
  /** Inside `detect`: the hits seen so far, by key. */
  detect: Record<string, DetectedCall[]> | undefined;
  /** Inside `transaction`: its state (owned by features/transaction). */
  tx: unknown;
  waitUntil: WaitUntil | undefined;
  /** Values `keyContext` made available to key templates. */
  keyContext: Record<string, unknown> | undefined;
  callbacks: readonly CommandCallback[] | undefined;
  /**
   * Set by the library's own steps outside the transaction (a read past it, the commit, a
   * background refresh, a strategy's counters), never inherited. The browser's context fallback
   * keeps such a scope for the synchronous call it wraps only (see `fallbackContext`).
   */
  brief: boolean;
}

/** A fresh root scope. */
export function rootScope(): Scope {
  return {
    disabled: undefined,
    invalidate: false,
    detect: undefined,
    tx: undefined,
    waitUntil: undefined,
    keyContext: undefined,
    callbacks: undefined,
    brief: false,
  };
}

/** A child scope starting from `parent` with `changes` applied; brief only when `changes` says so. */
export function childScope(parent: Scope, changes: Partial<Scope>): Scope {
  return {
    ...parent,
    disabled: parent.disabled === undefined ? undefined : new Set(parent.disabled),
    ...changes,
    brief: changes.brief ?? false,
  };
}

/** True when `command` is disabled in `scope`. */
export function isDisabled(scope: Scope, command: string): boolean {
  const disabled = scope.disabled;
  return disabled !== undefined && disabled.size > 0 && (disabled.has("*") || disabled.has(command));
}

/**
 * What a transaction in scope does with the commands it covers; the core hands those commands
 * to it instead of the backends. Reads return the core's `MISS` marker for a miss.
 */
export interface TxHooks {
  get(key: string): Promise<unknown>;
  exists(key: string): Promise<boolean>;
  set(
    key: string,
    value: unknown,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    exist: boolean | undefined,
  ): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  incr(key: string, by: number, ttl: number | undefined): Promise<number>;
  expire(key: string, ttl: number): Promise<boolean>;
  deleteMatch(pattern: string): Promise<number>;
  /**
   * `getOrSet`: the transaction's view of `key`, else one `load` per key shared by its own callers,
   * staged; `read` is told what the view held (`MISS` for a miss) before any load.
   */
  getOrSet(
    key: string,
    load: () => Promise<unknown>,
    ttl: number | undefined,
    tags: readonly string[] | undefined,
    read: (found: unknown) => void,
  ): Promise<unknown>;
  /** One in-flight `load` per key shared by the transaction's own callers, never by others (see `CacheKernel.singleFlight`). */
  singleFlight<T>(key: string, load: (ticket: LoadTicket) => Promise<T>): Promise<T>;
}
