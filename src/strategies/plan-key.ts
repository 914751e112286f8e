// How a plan turns one call into its cache key: a compiled template, a `key` function, or the
// function's name with its arguments; then the prefix. Fixed once per wrapped function; `keyOf`
// runs on every call.
import { CacheArgumentError, CacheConfigError, errorMessage } from "../core/errors";
import { describeKey, loneSurrogate, wellFormed } from "../core/keys";
import type { Scope } from "../core/scope";
import type { FeatureCache } from "../features/feature-cache";
import { compileKey, defaultKey, type KeyFn, type ParameterInfo } from "../keys/index";
import type { Site } from "./decorate";
import type { StrategyOptions } from "./plan";

/** The key part of a `Plan`: what its options and site fixed about keys, and the key of each call. */
export class PlanKey {
  readonly #cache: FeatureCache;
  readonly #site: Site;
  readonly #name: string | undefined;
  readonly #template: KeyFn | undefined;
  readonly #templateText: string;
  readonly #keyFn: ((...args: unknown[]) => string | Promise<string>) | undefined;
  readonly #prefix: string;
  readonly #classNames = new WeakMap<object, string>();
  readonly #where: string;

  /** Checks `options.key` (a template is compiled against `params`); `where` names the strategy in errors. */
  constructor(
    cache: FeatureCache,
    site: Site,
    options: StrategyOptions<never[]>,
    where: string,
    params: ParameterInfo,
  ) {
    this.#cache = cache;
    this.#site = site;
    this.#where = where;
    this.#prefix = options.prefix === undefined || options.prefix === "" ? "" : `${options.prefix}:`;
    this.#name = options.name ?? (site.name === "" ? undefined : site.name);
    this.#templateText = typeof options.key === "string" ? options.key : "";
    if (typeof options.key === "string") {
      this.#template = compileKey(options.key, params, { name: where });
    } else if (typeof options.key === "function") {
      this.#keyFn = options.key as (...args: unknown[]) => string;
    } else if (options.key !== undefined) {
      throw configError(
        where,
        "`key` must be a template string or a function",
        'use for example key: "user:{id}"',
      );
    } else if (this.#name === undefined) {
      throw configError(
        where,
        "an anonymous function has neither `key` nor `name`",
        'give the function a name, or pass key: "…" or name: "…"',
      );
    }
  }

  /** The key of one call, with the prefix. */
  keyOf(thisArg: unknown, args: readonly unknown[], scope?: Scope): string | Promise<string> {
    let key: string | Promise<string>;
    if (this.#template !== undefined) {
      key = this.#template(
        args,
        this.#template.usesContext ? (scope ?? this.#cache.scope()).keyContext : undefined,
      );
      // A template of placeholders only renders "" for empty arguments: refused before the call
      // runs, as every backend and the strategies' own state would refuse or share that key.
      if (this.#prefix === "") {
        if (key === "") throw emptyTemplateKey(this.#where, this.#templateText);
        if (typeof key !== "string") {
          key = key.then((text) => {
            if (text === "") throw emptyTemplateKey(this.#where, this.#templateText);
            return text;
          });
        }
      }
    } else if (this.#keyFn !== undefined) {
      key = keyFnResult(this.#where, this.#keyFn(...args));
    } else {
      key = defaultKey(this.#nameFor(thisArg), args);
    }
    if (this.#prefix !== "") {
      key = typeof key === "string" ? this.#prefix + key : key.then((text) => this.#prefix + text);
    }
    // A default key quotes its arguments as JSON, which escapes a lone surrogate; a rendered
    // template or a key function's text is checked, as the basic API checks its keys.
    if (this.#template === undefined && this.#keyFn === undefined) return key;
    return typeof key === "string" ? this.#whole(key) : key.then((text) => this.#whole(text));
  }

  #whole(key: string): string {
    if (!wellFormed(key)) throw loneSurrogate(this.#where, key);
    return key;
  }

  /** For methods the class is known only from the instance, so `find` in two classes gets two names. */
  #nameFor(thisArg: unknown): string {
    const name = this.#name as string;
    if (this.#site.kind !== "method" || this.#site.className !== undefined) {
      return this.#site.className === undefined ? name : `${this.#site.className}.${name}`;
    }
    if (thisArg === null || (typeof thisArg !== "object" && typeof thisArg !== "function")) {
      if (this.#site.unresolved === true) throw unknownClass(this.#where, name);
      return name;
    }
    const owner = thisArg as object;
    let full = this.#classNames.get(owner.constructor ?? owner);
    if (full === undefined) {
      const className = typeof thisArg === "function" ? thisArg.name : (owner.constructor?.name ?? "");
      full = className === "" ? name : `${className}.${name}`;
      this.#classNames.set(owner.constructor ?? owner, full);
    }
    return full;
  }
}

/**
 * What a `key` function returned, checked: a non-empty string, or a promise of one. Anything else
 * throws (or rejects with) `CacheArgumentError` before a key reaches a backend or a strategy's state.
 */
function keyFnResult(where: string, key: unknown): string | Promise<string> {
  if (typeof key === "string" && key.length > 0) return key;
  if (typeof (key as PromiseLike<unknown> | null)?.then === "function") {
    return Promise.resolve(key).then((text) => {
      if (typeof text === "string" && text.length > 0) return text;
      throw badKeyFnResult(where, text);
    });
  }
  throw badKeyFnResult(where, key);
}

function badKeyFnResult(where: string, key: unknown): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      where,
      `the \`key\` function returned ${describeKey(key)}, not a non-empty string`,
      'return a string such as "user:42" (or a promise of one)',
    ),
  );
}

// A guess without the class ("find:42") would be a key no call stores: `invalidate` would delete nothing.
function unknownClass(where: string, method: string): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      where,
      `the automatic key of ${method} starts with its class name, which TC39 decorators make known only once an instance of the class is created`,
      `create an instance first, pass one as \`this\` (${method}.invalidate.call(instance, …)), or give the strategy a key template such as key: "${method}:{0}"`,
    ),
  );
}

function emptyTemplateKey(where: string, template: string): CacheArgumentError {
  return new CacheArgumentError(
    errorMessage(
      where,
      `the key template ${JSON.stringify(template)} rendered an empty key for these arguments`,
      'pass arguments that fill it, or give the template fixed text such as "user:{id}"',
    ),
  );
}

/** A `CacheConfigError` about the options of the strategy named by `where`. */
export function configError(where: string, problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage(where, problem, remedy));
}
