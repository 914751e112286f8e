// The syntax of key templates: literals and placeholders, `{{`/`}}` as literal braces, and a
// placeholder's path and formatter calls. Each mistake throws a `CacheConfigError` naming the template.
import { CacheConfigError, errorMessage } from "../core/errors";
import { wellFormed } from "../core/keys";

/** A `CacheConfigError` from the key templates. */
export function keyError(problem: string, remedy: string): CacheConfigError {
  return new CacheConfigError(errorMessage("key", problem, remedy));
}

/** A `CacheConfigError` about `template`. */
export function templateError(template: string, problem: string, remedy: string): CacheConfigError {
  return keyError(`key template ${JSON.stringify(template)}: ${problem}`, remedy);
}

/** A run of literal text, or one placeholder: its source (with braces) and its body. */
export type Segment = { readonly literal: string } | { readonly source: string; readonly body: string };

/**
 * Splits a template into literals and placeholder bodies; `{{` and `}}` are literal braces. A
 * lone surrogate in the template would be in every key (or tag) it renders: refused here, once.
 */
export function scan(template: string): Segment[] {
  if (!wellFormed(template)) {
    throw templateError(
      template,
      "has a lone surrogate (half of a character, such as a cut emoji)",
      "write whole characters: Redis, Upstash and KV would turn it into U+FFFD",
    );
  }
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

/** A parsed placeholder: the dotted path it reads and the formatters applied in order. */
export interface Placeholder {
  readonly source: string;
  readonly path: readonly string[];
  readonly formatters: readonly { readonly name: string; readonly args: readonly string[] }[];
}

/** `user.id:lower:jwt(a,b)` → path and formatter calls; colons inside parentheses belong to arguments. */
export function parsePlaceholder(template: string, source: string, body: string): Placeholder {
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
