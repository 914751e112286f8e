/**
 * Parsers for the HTTP header fields the Hono middleware reads: `Cache-Control` directives,
 * `If-None-Match` entity-tag lists, `Clear-Site-Data` and `Vary` lists. Each tolerates the
 * spacing, quoting and case variations RFC 9110/9111 allow, and ignores what it cannot read
 * rather than throwing, so a malformed header never turns into a 500.
 */

/** Directives of one `Cache-Control` field: lower-case name → value (`true` when it has none). */
export type Directives = ReadonlyMap<string, string | true>;

const SPACE = /[\t ]/;

/** Reads a quoted-string starting at `at` (on the opening quote): its unescaped text and the index after it. */
function quoted(text: string, at: number): [string, number] {
  let value = "";
  let i = at + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === "\\" && i + 1 < text.length) i++;
    value += text[i];
    i++;
  }
  return [value, i + 1];
}

/** Index of the next `,` at or after `at`, or the end. */
function nextComma(text: string, at: number): number {
  const comma = text.indexOf(",", at);
  return comma < 0 ? text.length : comma;
}

/**
 * Parses `Cache-Control` (`no-cache, Max-Age="30"`): names lower-cased, values unquoted; the
 * first occurrence of a directive wins.
 */
export function parseDirectives(header: string | null | undefined): Directives {
  const directives = new Map<string, string | true>();
  if (!header) return directives;
  let i = 0;
  while (i < header.length) {
    while (i < header.length && (SPACE.test(header[i] as string) || header[i] === ",")) i++;
    let name = "";
    while (i < header.length && !/[=,\t ]/.test(header[i] as string)) name += header[i++];
    while (i < header.length && SPACE.test(header[i] as string)) i++;
    let value: string | true = true;
    if (header[i] === "=") {
      i++;
      while (i < header.length && SPACE.test(header[i] as string)) i++;
      if (header[i] === '"') [value, i] = quoted(header, i);
      else {
        const end = nextComma(header, i);
        value = header.slice(i, end).trim();
        i = end;
      }
    }
    i = nextComma(header, i);
    name = name.toLowerCase();
    if (name !== "" && !directives.has(name)) directives.set(name, value);
  }
  return directives;
}

/** A delta-seconds directive value (`max-age`), or `undefined` when absent or not a whole number. */
export function deltaSeconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name);
  if (typeof value !== "string" || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The entity tags of an `If-None-Match` field as opaque tags (quotes kept, `W/` dropped, since
 * If-None-Match uses the weak comparison), or `"*"`. Unquoted entries are taken as they are.
 */
export function parseEntityTags(header: string | null | undefined): "*" | string[] {
  if (!header) return [];
  if (header.trim() === "*") return "*";
  const tags: string[] = [];
  let i = 0;
  while (i < header.length) {
    while (i < header.length && (SPACE.test(header[i] as string) || header[i] === ",")) i++;
    if (i >= header.length) break;
    if (header.startsWith("W/", i) || header.startsWith("w/", i)) i += 2;
    if (header[i] === '"') {
      // An entity tag may contain commas, so read up to the closing quote, not the next comma.
      const end = header.indexOf('"', i + 1);
      const stop = end < 0 ? header.length : end + 1;
      tags.push(header.slice(i, stop));
      i = stop;
    } else {
      const end = nextComma(header, i);
      const bare = header.slice(i, end).trim();
      if (bare !== "") tags.push(`"${bare}"`);
      i = end;
    }
  }
  return tags;
}

/** The opaque part of an entity tag (`W/"x"` → `"x"`), for the weak comparison. */
export function opaqueTag(tag: string): string {
  return tag.startsWith("W/") || tag.startsWith("w/") ? tag.slice(2) : tag;
}

/**
 * True when `If-None-Match` matches the current representation's entity tag (weak comparison).
 * An unquoted tag a route set (`ETag: v42`) is quoted like the bare entries of the header, so the
 * client echoing it back matches.
 */
export function ifNoneMatchHits(header: string | null | undefined, etag: string): boolean {
  const tags = parseEntityTags(header);
  if (tags === "*") return true;
  const opaque = opaqueTag(etag);
  const current = opaque.startsWith('"') ? opaque : `"${opaque}"`;
  return tags.some((tag) => tag === current);
}

/** The members of a comma-separated list of tokens or quoted strings, lower-cased and unquoted. */
export function parseList(header: string | null | undefined): string[] {
  if (!header) return [];
  const items: string[] = [];
  let i = 0;
  while (i < header.length) {
    while (i < header.length && (SPACE.test(header[i] as string) || header[i] === ",")) i++;
    if (i >= header.length) break;
    let item: string;
    if (header[i] === '"') [item, i] = quoted(header, i);
    else {
      const end = nextComma(header, i);
      item = header.slice(i, end).trim();
      i = end;
    }
    i = nextComma(header, i);
    if (item !== "") items.push(item.toLowerCase());
  }
  return items;
}

/** True when a `Clear-Site-Data` field asks for the cache to be cleared (`"cache"`, `cache` or `"*"`). */
export function clearsCache(header: string | null | undefined): boolean {
  return parseList(header).some((item) => item === "cache" || item === "*");
}
