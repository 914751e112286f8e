/** Decides whether a call's result is stored: `(result, args, key) => boolean`. */
export type Condition = ((result: unknown, args: readonly unknown[], key: string) => boolean) & {
  /** Errors of these classes are cached too, and rethrown by later calls without executing. */
  readonly exceptions?: readonly ErrorClass[];
  /** Only those errors are cached, never a result. */
  readonly onlyExceptions?: boolean;
};

/** A class of errors, as passed to `withExceptions` and `failover`. */
export type ErrorClass = abstract new (...args: never[]) => unknown;

/** Stores every result but `null` and `undefined`. */
export const NOT_NULLISH: Condition = (result) => result !== null && result !== undefined;

/** Stores every result, and also these errors: later calls rethrow a cached error without executing. */
export function withExceptions(...errors: ErrorClass[]): Condition {
  return Object.assign(() => true, { exceptions: errors });
}

/** Stores only these errors (rethrown by later calls without executing), never a result. */
export function onlyExceptions(...errors: ErrorClass[]): Condition {
  return Object.assign(() => false, { exceptions: errors, onlyExceptions: true });
}

/** True when `error` is an instance of one of `classes`. */
export function isOneOf(error: unknown, classes: readonly ErrorClass[]): boolean {
  for (const Class of classes) if (error instanceof Class) return true;
  return false;
}

const FAILURE = "__isocache_error__";
const CLASS = "__isocache_class__";
const BEFORE = "__isocache_before__";

/**
 * The stored form of a cached error, with the name of the listed class it matched (of
 * `exceptions`), so a read can give it that class back: serializers rebuild only the built-in
 * error classes, and `instanceof NotFound` must hold on a later call too. `before` is what the
 * run handed out before it failed (an iterator's chunks), for a replay to hand out again.
 */
export function failure(
  error: unknown,
  exceptions?: readonly ErrorClass[],
  before?: readonly unknown[],
): Record<string, unknown> {
  const matched = exceptions?.find((Class) => error instanceof Class);
  const stored: Record<string, unknown> = { [FAILURE]: error };
  if (matched !== undefined && matched.name !== "") stored[CLASS] = matched.name;
  if (before !== undefined && before.length > 0) stored[BEFORE] = before;
  return stored;
}

/**
 * The error inside a stored failure, or `undefined` for an ordinary value. When the stored
 * error lost its class on the way through the serializer, and `exceptions` lists a class of the
 * recorded name, the error gets that class's prototype back (its name, message, stack, cause
 * and own properties are kept as stored). `before` is what the failed run handed out first.
 */
export function failureOf(
  value: unknown,
  exceptions?: readonly ErrorClass[],
): { error: unknown; before?: readonly unknown[] } | undefined {
  // `in` rather than `Object.hasOwn`: the JIT answers it from the object's shape, and every hit
  // asks. Stored values are decoded plain data, so an inherited marker cannot occur.
  if (value === null || typeof value !== "object" || !(FAILURE in value)) return undefined;
  const stored = value as Record<string, unknown>;
  const error = stored[FAILURE];
  const className = stored[CLASS];
  if (
    exceptions !== undefined &&
    typeof className === "string" &&
    error !== null &&
    typeof error === "object" &&
    !isOneOf(error, exceptions)
  ) {
    const Class = exceptions.find((candidate) => candidate.name === className);
    if (Class !== undefined) Object.setPrototypeOf(error, Class.prototype);
  }
  const before = stored[BEFORE];
  return Array.isArray(before) ? { error, before } : { error };
}
