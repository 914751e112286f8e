// Turns what `@upstash/redis` throws into the message of a `CacheBackendError`. The client's own
// messages append the whole command (keys and values), so only the server's error text is kept,
// and nothing here ever includes the token.
import { errorMessage } from "../core/errors";
import type { ResolvedUpstashOptions } from "./upstash-url";

// Upstash answers a bad token with 401 `WRONGPASS invalid or missing auth token`; Redis-style
// proxies say NOAUTH or Unauthorized.
const AUTH_FAILURE = /WRONGPASS|NOAUTH|unauthori[sz]ed|invalid or missing auth token/i;
const COMMAND_SUFFIX = /, command was: [\s\S]*$/;

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

/** The `[isocache] [upstash] …` message for a failed `command`. */
export function describeUpstashFailure(
  command: string,
  error: unknown,
  options: ResolvedUpstashOptions,
): string {
  const name = nameOf(error);
  if (name === "TimeoutError" || name === "AbortError") {
    return errorMessage(
      "upstash",
      `${command} got no answer within ${options.requestTimeout} ms`,
      "check that the REST URL is reachable, or raise requestTimeout",
    );
  }
  if (name === "UpstashJSONParseError" || error instanceof SyntaxError) {
    return errorMessage(
      "upstash",
      `${command} got a reply that is not Upstash REST JSON`,
      "check that url points at the database's REST endpoint (UPSTASH_REDIS_REST_URL)",
    );
  }
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
    `${command} could not reach the database (${text})`,
    "check that the REST URL is reachable, or handle it through onError",
  );
}
