// Turns what `@upstash/redis` throws into the message of a `CacheBackendError`. The client's own
// messages append the whole command (keys and values), so only the server's error text is kept,
// and nothing here ever includes the token.
import { errorMessage } from "../core/errors";
import type { ResolvedUpstashOptions } from "./upstash-url";

// Upstash answers a bad token with 401 `WRONGPASS invalid or missing auth token`; Redis-style
// proxies say NOAUTH or Unauthorized.
const AUTH_FAILURE = /WRONGPASS|NOAUTH|unauthori[sz]ed|invalid or missing auth token/i;
const COMMAND_SUFFIX = /, command was: [\s\S]*$/;
// `UpstashJSONParseError` keeps the first 200 characters of the body after this, but not the
// HTTP status: the page itself is all that tells a proxy's 502 from a web page answering 200.
const UNPARSED_BODY = /^Unable to parse response body: ([\s\S]*)$/;
const EXCERPT_CHARS = 60;
/** An HTTP error status as an error page states it: "502 Bad Gateway", "error code: 503". */
const STATED_STATUS = /\b([45]\d\d)\b/;

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

function serverText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(COMMAND_SUFFIX, "")
    .replace(/^Command failed: /, "")
    .slice(0, 200);
}

/** The network failures of a request before it ended otherwise: how many, and the last. */
export interface NetworkFailures {
  readonly count: number;
  readonly last: unknown;
}

/** A failed fetch as text, with the reason runtimes keep in `cause` (undici: "fetch failed" / "other side closed"). */
function networkText(error: unknown): string {
  const text = serverText(error);
  const cause = error instanceof Error ? error.cause : undefined;
  const why = cause instanceof Error ? cause.message : undefined;
  return why === undefined || why === "" || text.includes(why) ? text : `${text}: ${why}`;
}

/**
 * The `[isocache] [upstash] …` message for a failed `command`; `dropped` names the network
 * failures of its earlier attempts when the deadline ended the resends.
 */
export function describeUpstashFailure(
  command: string,
  error: unknown,
  options: ResolvedUpstashOptions,
  dropped?: NetworkFailures,
): string {
  const name = nameOf(error);
  if (name === "TimeoutError" || name === "AbortError") {
    const attempts = dropped?.count === 1 ? "1 attempt" : `${dropped?.count} attempts`;
    const why =
      dropped === undefined
        ? ""
        : ` (${attempts} failed on the network, the last with: ${networkText(dropped.last)})`;
    return errorMessage(
      "upstash",
      `${command} got no answer within ${options.requestTimeout} ms${why}`,
      "check that the REST URL is reachable, or raise requestTimeout",
    );
  }
  if (name === "UpstashJSONParseError" || error instanceof SyntaxError)
    return describeNotJson(command, error, options.token);
  const text = serverText(error);
  if (AUTH_FAILURE.test(text)) {
    return errorMessage(
      "upstash",
      `the database refused the REST token on ${command}`,
      "check the token (UPSTASH_REDIS_REST_TOKEN, or the token option) belongs to this database's REST URL",
    );
  }
  if (name === "UpstashError") {
    return errorMessage(
      "upstash",
      `${command} failed (${text})`,
      "check the database in the Upstash console",
    );
  }
  return errorMessage(
    "upstash",
    `${command} could not reach the database (${networkText(error)})`,
    "check that the REST URL is reachable, or handle it through onError",
  );
}

/** The message for a reply that is not JSON: the status the page states, a short excerpt, a remedy. */
function describeNotJson(command: string, error: unknown, token: string): string {
  const body = UNPARSED_BODY.exec(error instanceof Error ? error.message : "")?.[1] ?? "";
  const html = /^\s*</.test(body);
  const excerpt = excerptOf(body, html, token);
  const status = STATED_STATUS.exec(excerpt)?.[1];
  const quoted = excerpt === "" ? "" : ` ("${excerpt}")`;
  const kind = html ? "in HTML" : "in plain text";
  if (status !== undefined) {
    const remedy = status.startsWith("5")
      ? "retry later, as a proxy or gateway in front of the database failed (often briefly), and check the database in the Upstash console if it lasts"
      : "check that url is the database's REST endpoint (UPSTASH_REDIS_REST_URL) and that no proxy in front of it refuses the request";
    return errorMessage(
      "upstash",
      `${command} was answered HTTP ${status} by an error page ${kind}, not Upstash REST JSON${quoted}`,
      remedy,
    );
  }
  return errorMessage(
    "upstash",
    `${command} got a reply ${kind}, not Upstash REST JSON${quoted}`,
    "check that url is the database's REST endpoint (UPSTASH_REDIS_REST_URL), not a web page or a proxy answering in its place",
  );
}

/** A one-line excerpt of `body`: an HTML page's title, else its text without tags; never the token. */
function excerptOf(body: string, html: boolean, token: string): string {
  const title = html ? /<title[^>]*>([^<]*)</i.exec(body)?.[1] : undefined;
  const text = (title ?? body)
    .replace(/<(script|style)[^>]*>[\s\S]*?(<\/\1>|$)/gi, " ")
    .replace(/<[^>]*>?/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/\.\.\.$/, "");
  const safe = token === "" ? text : text.split(token).join("***");
  return safe.length > EXCERPT_CHARS ? `${safe.slice(0, EXCERPT_CHARS).trimEnd()}…` : safe;
}
