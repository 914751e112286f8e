/**
 * Key templates such as `"user:{id}:{opts.page}:{name:lower}"`, compiled once when a function is
 * wrapped into a function of the call's arguments. Everything that can be wrong with a template
 * (an unknown name, a position past the parameters, an unknown formatter) throws then, so a
 * typo fails at startup. The compiled function is synchronous unless an async formatter (`hash`)
 * is used, so the common key costs one string concatenation per placeholder.
 */
import type { KeyContext } from "./key-context";
import type { ParameterInfo } from "./params";
import { renderArgs } from "./render";
import { keyError, parsePlaceholder, scan } from "./template-parse";
import { compilePart, type Part, type Signature } from "./template-parts";

/** A compiled key template: the key for one call's arguments (and key-context values). */
export interface KeyFn {
  (args: readonly unknown[], context?: KeyContext): string | Promise<string>;
  /**
   * Every call returns a Promise: the template uses an async formatter such as `hash`. When
   * false, calls return a string, unless a formatter not declared async returns a Promise.
   */
  readonly async: boolean;
  /** The template reads key-context values, so callers must pass `context`. */
  readonly usesContext: boolean;
  /** The template text it was compiled from. */
  readonly template: string;
}

/** Options of `compileKey`. */
export interface CompileKeyOptions {
  /** Function name shown in error messages. */
  name?: string;
  /** With a plain names array: the last name is a rest parameter (ignored when a `ParameterInfo` is given). */
  rest?: boolean;
}

/** Joins the parts, switching to a Promise only from the first part that returns one. */
function assemble(
  literals: readonly string[],
  parts: readonly Part[],
): (args: readonly unknown[], context?: KeyContext) => string | Promise<string> {
  const first = literals[0] as string;
  if (parts.length === 0) return () => first;
  return (args, context) => {
    let out = first;
    for (let i = 0; i < parts.length; i++) {
      const text = (parts[i] as Part)(args, context);
      if (typeof text !== "string") return finishAsync(out, text, i, literals, parts, args, context);
      out += text + (literals[i + 1] as string);
    }
    return out;
  };
}

function finishAsync(
  head: string,
  pending: Promise<string>,
  at: number,
  literals: readonly string[],
  parts: readonly Part[],
  args: readonly unknown[],
  context: KeyContext | undefined,
): Promise<string> {
  const texts: (string | Promise<string>)[] = [pending];
  for (let i = at + 1; i < parts.length; i++) texts.push((parts[i] as Part)(args, context));
  return Promise.all(texts).then((resolved) => {
    let out = head;
    for (let i = 0; i < resolved.length; i++)
      out += (resolved[i] as string) + (literals[at + i + 1] as string);
    return out;
  });
}

function signatureOf(
  params: readonly (string | undefined)[] | ParameterInfo,
  options: CompileKeyOptions | undefined,
): Signature {
  const fn = options?.name || "the function";
  if ("names" in params) return { names: params.names, rest: params.rest, opaque: params.opaque, fn };
  return { names: params, rest: options?.rest ?? false, opaque: false, fn };
}

/**
 * Compiles a key template against a function's parameters (`parameterInfo(fn)`, or a names
 * array). Placeholders: `{name}`, `{0}`, `{name.path.to.field}`, `{name:formatter(args):…}`,
 * key-context names, and `{{`/`}}` for literal braces. An omitted argument renders as "" even
 * when the parameter has a default value. Throws `CacheConfigError` for anything unresolvable.
 * @example compileKey("user:{id}:{name:lower}", ["id", "name"])([7, "Ann"]) // "user:7:ann"
 */
export function compileKey(
  template: string,
  params: readonly (string | undefined)[] | ParameterInfo,
  options?: CompileKeyOptions,
): KeyFn {
  if (typeof template !== "string" || template === "") {
    throw keyError("a key template must be a non-empty string", 'pass a template such as "user:{id}"');
  }
  const sig = signatureOf(params, options);
  const literals: string[] = [""];
  const parts: Part[] = [];
  let isAsync = false;
  let usesContext = false;
  for (const segment of scan(template)) {
    if ("literal" in segment) {
      literals[literals.length - 1] += segment.literal;
      continue;
    }
    const compiled = compilePart(template, parsePlaceholder(template, segment.source, segment.body), sig);
    parts.push(compiled.part);
    literals.push("");
    isAsync ||= compiled.async;
    usesContext ||= compiled.context;
  }
  // A template that is one synchronous placeholder and nothing else ("{0}", "{id}") is its part.
  const bare = !isAsync && parts.length === 1 && literals[0] === "" && literals[1] === "";
  const run = bare ? (parts[0] as Part) : assemble(literals, parts);
  const keyFn = isAsync ? wrapAsync(run) : run;
  return Object.assign(keyFn, { async: isAsync, usesContext, template });
}

/** An async key function never throws synchronously and always returns a Promise. */
function wrapAsync(run: (args: readonly unknown[], context?: KeyContext) => string | Promise<string>) {
  return (args: readonly unknown[], context?: KeyContext): Promise<string> => {
    try {
      return Promise.resolve(run(args, context));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/**
 * The key of a function called without a `key` option: its name, ":", and its arguments'
 * stable rendering.
 * @example defaultKey("getUser", [42, { b: 1, a: 2 }]) // 'getUser:42,{"a":2,"b":1}'
 */
export function defaultKey(name: string, args: readonly unknown[]): string {
  return `${name}:${renderArgs(args)}`;
}

/**
 * A Redis glob matching every key the template can produce: each placeholder becomes `*`,
 * glob metacharacters in the literal text are escaped.
 * @example templateToGlob("user:{id}:[{page}]") // "user:*:\\[*\\]"
 */
export function templateToGlob(template: string): string {
  let glob = "";
  let wildcard = false;
  for (const segment of scan(template)) {
    if ("literal" in segment) {
      glob += segment.literal.replace(/[*?[\]\\]/g, "\\$&");
      wildcard = false;
    } else {
      parsePlaceholder(template, segment.source, segment.body);
      // Adjacent placeholders match what one `*` matches.
      if (!wildcard) glob += "*";
      wildcard = true;
    }
  }
  return glob;
}
