/**
 * Key templates such as `"user:{id}:{opts.page}:{name:lower}"`, compiled once when a function is
 * wrapped into a function of the call's arguments. Everything that can be wrong with a template
 * (an unknown name, a position past the parameters, an unknown formatter) throws then, so a
 * typo fails at startup. The compiled function is synchronous unless an async formatter (`hash`)
 * is used, so the common key costs one string concatenation per placeholder.
 */
import { CacheConfigError, errorMessage } from "../core/errors";
import { applyFormatters, bindFormatter } from "./formatters";
import type { ParameterInfo } from "./params";
import { renderArgs, renderText } from "./render";

/** Request-scoped values a template may read, by key-context name. */
export type KeyContext = Readonly<Record<string, unknown>>;

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

const contextNames = new Set<string>();
const CONTEXT_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Lets templates read `{name}` and `{name.path}` from the key context supplied at call time
 * (a parameter of the same name wins). Register before wrapping the functions that use it.
 * @example registerKeyContext("tenant") // then key: "{tenant}:user:{id}"
 */
export function registerKeyContext(name: string): void {
  if (!CONTEXT_NAME.test(name)) {
    throw keyError(
      `key context name ${JSON.stringify(name)} is not an identifier`,
      "use letters, digits, _ or $",
    );
  }
  contextNames.add(name);
}

type Segment = { readonly literal: string } | { readonly source: string; readonly body: string };

/** Splits a template into literals and placeholder bodies; `{{` and `}}` are literal braces. */
function scan(template: string): Segment[] {
  const segments: Segment[] = [];
  let literal = "";
  let i = 0;
  while (i < template.length) {
    const ch = template[i] as string;
    const next = template[i + 1];
    if ((ch === "{" && next === "{") || (ch === "}" && next === "}")) {
      literal += ch;
      i += 2;
    } else if (ch === "{") {
      const end = template.indexOf("}", i + 1);
      const open = template.indexOf("{", i + 1);
      if (end < 0 || (open >= 0 && open < end))
        throw templateError(
          template,
          `"{" at ${i} has no closing "}"`,
          'close the placeholder, or write "{{" for a literal brace',
        );
      if (literal !== "") segments.push({ literal });
      literal = "";
      segments.push({ source: template.slice(i, end + 1), body: template.slice(i + 1, end) });
      i = end + 1;
    } else if (ch === "}") {
      throw templateError(template, `"}" at ${i} closes no placeholder`, 'write "}}" for a literal brace');
    } else {
      literal += ch;
      i += 1;
    }
  }
  if (literal !== "") segments.push({ literal });
  return segments;
}

function keyError(problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage("key", problem, remedy));
}

function templateError(template: string, problem: string, remedy: string): CacheConfigError {
  return keyError(`key template ${JSON.stringify(template)}: ${problem}`, remedy);
}

interface Placeholder {
  readonly source: string;
  readonly path: readonly string[];
  readonly formatters: readonly { readonly name: string; readonly args: readonly string[] }[];
}

/** `user.id:lower:jwt(a,b)` → path and formatter calls; colons inside parentheses belong to arguments. */
function parsePlaceholder(template: string, source: string, body: string): Placeholder {
  const pieces: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "(") depth += 1;
    else if (ch === ")") depth -= 1;
    else if (ch === ":" && depth === 0) {
      pieces.push(body.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(body.slice(start));
  const path = (pieces[0] as string).trim().split(".");
  if (path.some((segment) => !/^[^\s()]+$/.test(segment))) {
    throw templateError(
      template,
      `placeholder ${source} has an empty or malformed name`,
      "write {param}, {0} or {param.field}",
    );
  }
  const formatters = pieces.slice(1).map((piece) => {
    const call = /^\s*([^\s()]+)\s*(?:\(([^()]*)\))?\s*$/.exec(piece);
    if (call === null)
      throw templateError(
        template,
        `formatter "${piece}" in ${source} is malformed`,
        "write {param:name} or {param:name(arg,…)}",
      );
    const args =
      call[2] === undefined || call[2].trim() === "" ? [] : call[2].split(",").map((arg) => arg.trim());
    return { name: call[1] as string, args };
  });
  return { source, path, formatters };
}

type Getter = (args: readonly unknown[], context: KeyContext | undefined) => unknown;

interface Signature {
  readonly names: readonly (string | undefined)[];
  readonly rest: boolean;
  readonly opaque: boolean;
  readonly fn: string;
}

function describe(sig: Signature): string {
  if (sig.opaque) return `${sig.fn} (a bound or native function, whose parameter names are unknown)`;
  const list = sig.names.map(
    (name, i) => (sig.rest && i === sig.names.length - 1 ? "..." : "") + (name ?? "{…}"),
  );
  return `${sig.fn}(${list.join(", ")})`;
}

/** The value a placeholder's root names: a position, a parameter, or a key-context value. */
function rootGetter(
  template: string,
  p: Placeholder,
  sig: Signature,
): { get: Getter; context: boolean; position?: number } {
  const root = p.path[0] as string;
  const restIndex = sig.rest ? sig.names.length - 1 : -1;
  if (/^\d+$/.test(root)) {
    const position = Number(root);
    if (position >= sig.names.length && !sig.rest && !sig.opaque) {
      throw templateError(
        template,
        `placeholder ${p.source} is past the parameters of ${describe(sig)}`,
        `use a position below ${sig.names.length} or a parameter name`,
      );
    }
    return { get: (args) => args[position], context: false, position };
  }
  const index = sig.names.indexOf(root);
  if (index >= 0 && index === restIndex) return { get: (args) => args.slice(index), context: false };
  if (index >= 0) return { get: (args) => args[index], context: false, position: index };
  if (contextNames.has(root)) return { get: (_args, context) => context?.[root], context: true };
  throw templateError(
    template,
    `placeholder ${p.source} names no parameter of ${describe(sig)}`,
    `use a parameter name, a position such as {0}, or registerKeyContext("${root}") for a request-scoped value`,
  );
}

/** Reads a dotted path; a missing segment gives `undefined`, which renders as "". */
function walk(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (let i = 1; i < path.length && current !== undefined; i++) {
    if (current === null) return undefined;
    const segment = path[i] as string;
    current = current instanceof Map ? current.get(segment) : (current as Record<string, unknown>)[segment];
  }
  return current;
}

type Part = (args: readonly unknown[], context: KeyContext | undefined) => string | Promise<string>;

function compilePart(
  template: string,
  p: Placeholder,
  sig: Signature,
): { part: Part; async: boolean; context: boolean } {
  const { get, context, position } = rootGetter(template, p, sig);
  const chain = p.formatters.map((f) =>
    bindFormatter(f.name, f.args, `${p.source} of key template ${JSON.stringify(template)}`),
  );
  const isAsync = chain.some((f) => f.async);
  const { path } = p;
  if (chain.length === 0 && path.length === 1) {
    // A whole argument, read in place: the hit path makes no further call for a string key.
    if (position !== undefined) {
      const part: Part = (args) => {
        const value = args[position];
        return typeof value === "string" ? value : renderText(value);
      };
      return { part, async: false, context: false };
    }
    return { part: (args, ctx) => renderText(get(args, ctx)), async: isAsync, context };
  }
  return { part: (args, ctx) => applyFormatters(walk(get(args, ctx), path), chain), async: isAsync, context };
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
