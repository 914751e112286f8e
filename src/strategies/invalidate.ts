import type { FeatureCache } from "../features/feature-cache";
import { StatsCounter } from "../features/stats";
import { compileKey, type KeyFn, type ParameterInfo, parameterInfo, templateToGlob } from "../keys/index";
import { configError } from "./_meta";
import type { AnyFn } from "./decorate";
import { adapt, originalOf } from "./decorate";
import type { WrappedExtras } from "./plan";
import type { CachedFunction, StrategyDecorator } from "./types";

/** Options of `invalidate`. */
export interface InvalidateOptions {
  /**
   * Where the target's arguments come from: target name → this function's parameter (`"userId"`,
   * a position `"1"`, or a path `"user.id"`). For a template target the names are its
   * placeholders; for a cached-function target its parameter names or positions (`{ 0: "userId" }`).
   * Default: same names (templates) or same positions (functions).
   */
  argsMap?: Record<string, string>;
}

/** What one call invalidates: an exact key, or a Redis glob for `deleteMatch`. */
interface Target {
  readonly text: string;
  readonly glob: boolean;
}

type Resolve = (thisArg: unknown, args: unknown[]) => Target | Promise<Target>;

/**
 * After the wrapped function resolves, deletes what `target` names for the call's arguments:
 * a key template (`"user:{id}"`, read from this function's parameters through `argsMap`), a glob
 * template (a literal `*` in it matches anything; a placeholder that renders empty, such as an
 * omitted argument, matches anything too), or another cached function (its `.key(...)` of the
 * mapped arguments). A call that throws deletes nothing; a glob of wildcards alone never runs.
 * `fn.key(...args)` gives the key or glob a call would delete, `fn.invalidate(...args)` deletes it now.
 * @example
 * const rename = cache.invalidate("user:{id}", { argsMap: { id: "userId" } })(async function rename(userId: string, name: string) { … });
 */
export function invalidate(
  cache: FeatureCache,
  target: string | CachedFunction<AnyFn>,
  options: InvalidateOptions = {},
): StrategyDecorator {
  return adapt((fn, site) => {
    const where = `invalidate(${site.name || "anonymous"})`;
    const params = parameterInfo(fn);
    const argsMap = checkArgsMap(options.argsMap, where);
    const resolve: Resolve =
      typeof target === "string"
        ? templateTarget(cache, target, params, argsMap, where)
        : functionTarget(target, params, argsMap, where);
    const stats = new StatsCounter();
    const drop = async (thisArg: unknown, args: unknown[]): Promise<boolean> => {
      const { text, glob } = await resolve(thisArg, args);
      if (!glob) return cache.delete(text);
      if (/^\**$/.test(text)) return false;
      return (await cache.deleteMatch(text)) > 0;
    };
    const call = async (thisArg: unknown, args: unknown[]): Promise<unknown> => {
      const started = Date.now();
      let value: unknown;
      try {
        value = await fn.apply(thisArg, args);
      } catch (error) {
        stats.load(Date.now() - started, true);
        throw error;
      }
      stats.load(Date.now() - started, false);
      if (cache.isEnabled()) await drop(thisArg, args);
      return value;
    };
    return { call, extras: invalidateExtras(resolve, drop, call, stats) };
  }) as StrategyDecorator;
}

type Call<R> = (thisArg: unknown, args: unknown[]) => Promise<R>;

function invalidateExtras(
  resolve: Resolve,
  drop: Call<boolean>,
  call: Call<unknown>,
  stats: StatsCounter,
): WrappedExtras<unknown[], unknown> {
  return {
    async key(this: unknown, ...args: unknown[]) {
      return (await resolve(this, args)).text;
    },
    invalidate(this: unknown, ...args: unknown[]) {
      return drop(this, args);
    },
    refresh(this: unknown, ...args: unknown[]) {
      return call(this, args);
    },
    stats: () => stats.snapshot(),
  };
}

function checkArgsMap(argsMap: Record<string, string> | undefined, where: string): Map<string, string> {
  const out = new Map(Object.entries(argsMap ?? {}));
  for (const [name, source] of out) {
    if (typeof source !== "string" || !/^[^\s.:{}()]+(\.[^\s.:{}()]+)*$/.test(source)) {
      throw configError(
        where,
        `argsMap.${name} is ${JSON.stringify(source)}`,
        'name a parameter: "id", "0", "user.id"',
      );
    }
  }
  return out;
}

/** Compiles a template target: each placeholder separately, so an empty one can become `*`. */
function templateTarget(
  cache: FeatureCache,
  template: string,
  params: ParameterInfo,
  argsMap: Map<string, string>,
  where: string,
): Resolve {
  const { literals, bodies } = splitTemplate(template, where);
  const parts = compilePlaceholders(template, bodies, params, argsMap, where);
  const finish = targetFinisher(literals);
  const usesContext = parts.some((part) => part.usesContext);
  return (_thisArg, args) => {
    const context = usesContext ? cache.scope().keyContext : undefined;
    const texts = parts.map((part) => part(args, context));
    return texts.every((text) => typeof text === "string")
      ? finish(texts as string[])
      : Promise.all(texts).then(finish);
  };
}

/** The template's literal texts (unescaped) around its placeholders' bodies: one literal more than bodies. */
function splitTemplate(template: string, where: string): { literals: string[]; bodies: string[] } {
  if (template === "") throw configError(where, "the target template is empty", 'pass "user:{id}"');
  templateToGlob(template); // throws the key module's CacheConfigError for a malformed template
  // Validated above, so a split on `{{`, `}}` and `{…}` finds the same tokens as the key module.
  const tokens = template.split(/(\{\{|\}\}|\{[^{}]*\})/);
  const literals: string[] = [];
  const bodies: string[] = [];
  let literal = "";
  for (const token of tokens) {
    if (token.length > 2 && token.startsWith("{")) {
      literals.push(literal);
      bodies.push(token.slice(1, -1));
      literal = "";
    } else literal += token === "{{" ? "{" : token === "}}" ? "}" : token;
  }
  literals.push(literal);
  return { literals, bodies };
}

/** One key function per placeholder, its root renamed through `argsMap`; every `argsMap` name must be used. */
function compilePlaceholders(
  template: string,
  bodies: readonly string[],
  params: ParameterInfo,
  argsMap: Map<string, string>,
  where: string,
): KeyFn[] {
  const unused = new Set(argsMap.keys());
  const parts: KeyFn[] = bodies.map((body) => {
    const root = /^\s*([^.:\s]+)/.exec(body);
    const source = root === null ? undefined : argsMap.get(root[1] as string);
    if (root !== null) unused.delete(root[1] as string);
    const mapped = source === undefined ? body : source + body.slice(root?.[0].length ?? 0);
    return compileKey(`{${mapped}}`, params, { name: where });
  });
  if (unused.size > 0) {
    throw configError(
      where,
      `argsMap names ${[...unused].join(", ")}, which the template ${JSON.stringify(template)} does not use`,
      "map only its placeholders",
    );
  }
  return parts;
}

/** Joins the rendered placeholders with the literals: a glob when the template has `*` or a placeholder renders empty. */
function targetFinisher(literals: readonly string[]): (texts: readonly string[]) => Target {
  const wildcard = literals.some((literal) => literal.includes("*"));
  return (texts) => {
    const glob = wildcard || texts.includes("");
    let text = glob ? escapeGlob(literals[0] as string, true) : (literals[0] as string);
    for (let i = 0; i < texts.length; i++) {
      const value = texts[i] as string;
      const literal = literals[i + 1] as string;
      text += glob
        ? (value === "" ? "*" : escapeGlob(value, false)) + escapeGlob(literal, true)
        : value + literal;
    }
    return { text, glob };
  };
}

/** Escapes Redis glob characters; `keepStar` leaves `*` as the wildcard a template wrote. */
function escapeGlob(text: string, keepStar: boolean): string {
  return text.replace(keepStar ? /[?[\]\\]/g : /[*?[\]\\]/g, "\\$&");
}

/** A cached-function target: its `.key(...)` of this call's arguments, re-positioned by `argsMap`. */
function functionTarget(
  target: CachedFunction<AnyFn>,
  params: ParameterInfo,
  argsMap: Map<string, string>,
  where: string,
): Resolve {
  if (typeof target !== "function" || typeof (target as { key?: unknown }).key !== "function") {
    throw configError(
      where,
      "the target is no key template or cached function",
      'pass "user:{id}" or getUser',
    );
  }
  const moves: [number, (args: readonly unknown[]) => unknown][] = [];
  const original = originalOf(target);
  const targetNames = original === undefined ? [] : parameterInfo(original).names;
  for (const [name, source] of argsMap) {
    const position = /^\d+$/.test(name) ? Number(name) : targetNames.indexOf(name);
    if (position < 0) {
      throw configError(
        where,
        `argsMap.${name} names no parameter of the target function (${targetNames.filter(Boolean).join(", ") || "no names visible"})`,
        `use one of its parameter names or a position, for example argsMap: { 0: "${source}" }`,
      );
    }
    moves.push([position, argGetter(source, params, where)]);
  }
  return (thisArg, args) => {
    let targetArgs = args;
    if (moves.length > 0) {
      targetArgs = args.slice();
      for (const [position, get] of moves) targetArgs[position] = get(args);
    }
    return target.key
      .apply(thisArg as never, targetArgs as never)
      .then((text: string) => ({ text, glob: false }));
  };
}

/** Reads `"name"`, `"2"` or `"name.path.to.field"` from a call's arguments. */
function argGetter(
  source: string,
  params: ParameterInfo,
  where: string,
): (args: readonly unknown[]) => unknown {
  const [root, ...path] = source.split(".") as [string, ...string[]];
  const index = /^\d+$/.test(root) ? Number(root) : params.names.indexOf(root);
  if (index < 0) {
    throw configError(
      where,
      `argsMap names "${root}", no parameter of the function`,
      "use a name or position",
    );
  }
  const rest = params.rest && index === params.names.length - 1 && !/^\d+$/.test(root);
  return (args) => {
    let value: unknown = rest ? args.slice(index) : args[index];
    for (const segment of path) {
      if (value === null || value === undefined) return undefined;
      value = value instanceof Map ? value.get(segment) : (value as Record<string, unknown>)[segment];
    }
    return value;
  };
}
