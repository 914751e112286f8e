// One placeholder compiled into a function of the call's arguments: its root (a position, a
// parameter or a key-context value), the path below it and its formatters, checked at compile time.
import { isMap } from "../core/brands";
import { applyFormatters, bindFormatter } from "./formatters";
import { isKeyContext, type KeyContext } from "./key-context";
import { renderText } from "./render";
import { type Placeholder, templateError } from "./template-parse";

type Getter = (args: readonly unknown[], context: KeyContext | undefined) => unknown;

/** The parameters a template compiles against, and the function name its errors show. */
export interface Signature {
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
  if (isKeyContext(root)) return { get: (_args, context) => context?.[root], context: true };
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
    current =
      typeof current === "object" && isMap(current)
        ? current.get(segment)
        : (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** One compiled placeholder: its text for one call, or a Promise of it. */
export type Part = (args: readonly unknown[], context: KeyContext | undefined) => string | Promise<string>;

/** Compiles placeholder `p` of `template` against `sig`; throws for a root it cannot resolve. */
export function compilePart(
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
