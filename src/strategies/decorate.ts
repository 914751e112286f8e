import { CacheConfigError, errorMessage } from "../core/errors";

// biome-ignore lint/suspicious/noExplicitAny: the wrapped function may take and return anything.
export type AnyFn = (this: any, ...args: any[]) => any;

/** Where a strategy is applied: a plain function, or a class method (with what is known of it). */
export interface Site {
  readonly kind: "function" | "method";
  /** The method's name; for functions, `fn.name`. */
  readonly name: string;
  /** The class name when the decorator form tells it (legacy decorators do). */
  readonly className?: string;
  /** For a static method, its class: the `this` its extras run it with when called on the wrapper. */
  readonly owner?: unknown;
  /** A TC39 instance method before its first instance: its class is not known yet. */
  readonly unresolved?: boolean;
}

/** What a strategy builds for one function: how to call it, and the extras the wrapper gains. */
export interface Built {
  call(thisArg: unknown, args: unknown[]): unknown;
  readonly extras: object;
}

/**
 * One adaptor for every strategy: the factory's result wraps a function, and also works as a TC39
 * standard method decorator and as a legacy `experimentalDecorators` method decorator.
 */
export function adapt(build: (fn: AnyFn, site: Site) => Built): (...input: unknown[]) => unknown {
  return function decorator(target: unknown, context?: unknown, descriptor?: unknown): unknown {
    if (typeof target === "function" && context === undefined) {
      return wrap(target as AnyFn, { kind: "function", name: target.name }, build);
    }
    if (typeof target === "function" && isDecoratorContext(context)) {
      if (context.kind !== "method") {
        throw new CacheConfigError(
          errorMessage(
            "decorator",
            `cannot decorate a ${context.kind}`,
            "apply cache strategies to methods or functions only",
          ),
        );
      }
      const site: {
        kind: "method";
        name: string;
        className?: string;
        owner?: unknown;
        unresolved?: boolean;
      } = { kind: "method", name: String(context.name), unresolved: context.addInitializer !== undefined };
      learnClassName(context, site);
      return wrap(target as AnyFn, site, build);
    }
    if (isMethodDescriptor(descriptor) && (typeof context === "string" || typeof context === "symbol")) {
      const owner =
        typeof target === "function" ? target : (target as { constructor?: { name?: string } })?.constructor;
      const className = owner?.name;
      // Legacy decorators get the class itself as `target` for a static method.
      const site: Site = { kind: "method", name: String(context), ...(className ? { className } : {}) };
      descriptor.value = wrap(
        descriptor.value as AnyFn,
        typeof target === "function" ? { ...site, owner: target } : site,
        build,
      );
      return descriptor;
    }
    throw new CacheConfigError(
      errorMessage(
        "decorator",
        "a strategy was applied to something that is not a function or method",
        "call it with a function, or use it as a method decorator",
      ),
    );
  };
}

const originals = new WeakMap<object, AnyFn>();

/** The function a strategy wrapped, so `invalidate` can read a cached function's parameter names. */
export function originalOf(wrapped: unknown): AnyFn | undefined {
  return typeof wrapped === "function" ? originals.get(wrapped) : undefined;
}

function wrap(fn: AnyFn, site: Site, build: (fn: AnyFn, site: Site) => Built): AnyFn {
  const built = build(fn, site);
  const call = built.call;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    return call(this, args);
  };
  Object.defineProperty(wrapped, "name", { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, "length", { value: fn.length, configurable: true });
  for (const [name, extra] of Object.entries(built.extras)) {
    (wrapped as unknown as Record<string, unknown>)[name] =
      typeof extra === "function" ? withReceiver(extra as AnyFn, wrapped, site) : extra;
  }
  originals.set(wrapped, fn);
  return wrapped;
}

// Called as `fn.refresh(…)`, an extra's `this` is the wrapper itself, which stands for no receiver,
// or for a static method its class (known only once the class exists), so that `refresh` runs
// the method with the `this` a call has. `fn.refresh.call(instance, …)` passes an instance.
function withReceiver(extra: AnyFn, wrapped: AnyFn, site: Site): AnyFn {
  return function (this: unknown, ...args: unknown[]): unknown {
    return extra.apply(this === wrapped || this === undefined ? site.owner : this, args);
  };
}

type DecoratorContext = {
  kind: string;
  name: string | symbol;
  static?: boolean;
  addInitializer?(initializer: (this: unknown) => void): void;
};

// A TC39 method decorator is not told its class; the first instance (or the class itself, for a
// static method) tells it, so `fn.key()` and `fn.invalidate()` give the keys calls use. The
// defining class is the one whose prototype owns the method, not a subclass of it.
function learnClassName(
  context: DecoratorContext,
  site: { className?: string; owner?: unknown; unresolved?: boolean },
): void {
  context.addInitializer?.(function (this: unknown) {
    if (site.unresolved !== true) return;
    site.unresolved = false;
    if (context.static === true) {
      site.className = (this as { name?: string }).name || undefined;
      site.owner = this;
      return;
    }
    let owner = this === null || this === undefined ? null : Object.getPrototypeOf(this);
    while (owner !== null && !Object.hasOwn(owner, context.name)) owner = Object.getPrototypeOf(owner);
    site.className = (owner?.constructor as { name?: string } | undefined)?.name || undefined;
  });
}

function isDecoratorContext(value: unknown): value is DecoratorContext {
  return typeof value === "object" && value !== null && "kind" in value && "name" in value;
}

function isMethodDescriptor(value: unknown): value is PropertyDescriptor & { value: AnyFn } {
  return (
    typeof value === "object" && value !== null && typeof (value as PropertyDescriptor).value === "function"
  );
}
