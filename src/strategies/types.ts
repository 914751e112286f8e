import type { AnyFn } from "./decorate";
import type { WrappedExtras } from "./plan";

/** A wrapped function: same parameters, always async, plus `key`, `invalidate`, `refresh`, `stats`. */
export type CachedFunction<F extends AnyFn, Extra = unknown> = ((
  this: ThisParameterType<F>,
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) &
  WrappedExtras<Parameters<F>, Awaited<ReturnType<F>>> &
  Extra;

/** What a strategy factory returns: a function wrapper that is also a method decorator (TC39 or legacy). */
export interface StrategyDecorator<Extra = unknown> {
  <F extends AnyFn>(fn: F): CachedFunction<F, Extra>;
  <F extends AnyFn>(method: F, context: ClassMethodDecoratorContext): CachedFunction<F, Extra>;
  (target: object, property: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}
