// Unit tests of the header parsers and replay helpers behind the Hono middleware (node project);
// the middleware itself is tested over HTTP on every runtime by test/hono/suite.ts.
import { describe, expect, it } from "vitest";
import {
  clearsCache,
  deltaSeconds,
  ifNoneMatchHits,
  parseDirectives,
  parseEntityTags,
  parseList,
} from "../../src/hono/headers";
import { replayableHeaders, unservableReason, unstorableReason, withVary } from "../../src/hono/record";

describe("hono headers: Cache-Control", () => {
  it("reads names case-insensitively, values quoted or not, with spaces and commas anywhere", () => {
    const d = parseDirectives(' No-Cache ,, MAX-AGE = "30", private="set-cookie, x", no-transform');
    expect([...d.keys()]).toEqual(["no-cache", "max-age", "private", "no-transform"]);
    expect(d.get("no-cache")).toBe(true);
    expect(d.get("max-age")).toBe("30");
    expect(d.get("private")).toBe("set-cookie, x");
    expect(deltaSeconds(d, "max-age")).toBe(30);
  });

  it("keeps the first of repeated directives and ignores malformed delta-seconds", () => {
    const d = parseDirectives("max-age=5, max-age=1");
    expect(deltaSeconds(d, "max-age")).toBe(5);
    for (const bad of ["max-age=-1", "max-age=1.5", "max-age=", "max-age", "max-age=abc"]) {
      expect(deltaSeconds(parseDirectives(bad), "max-age")).toBeUndefined();
    }
    expect(parseDirectives(undefined).size).toBe(0);
    expect(parseDirectives('max-age="unterminated').get("max-age")).toBe("unterminated");
  });
});

describe("hono headers: If-None-Match", () => {
  it("parses lists, weak tags and tags containing commas", () => {
    expect(parseEntityTags(' "a", W/"b" ,"c,d", bare ')).toEqual(['"a"', '"b"', '"c,d"', '"bare"']);
    expect(parseEntityTags(" * ")).toBe("*");
    expect(parseEntityTags("")).toEqual([]);
  });

  it("uses the weak comparison: W/ on either side still matches, other tags do not", () => {
    expect(ifNoneMatchHits('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchHits('"x"', 'W/"x"')).toBe(true);
    expect(ifNoneMatchHits('"y", "x"', '"x"')).toBe(true);
    expect(ifNoneMatchHits("*", '"x"')).toBe(true);
    expect(ifNoneMatchHits('"xy"', '"x"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"x"')).toBe(false);
    expect(ifNoneMatchHits("x", "x")).toBe(true);
    expect(ifNoneMatchHits('"x"', "W/x")).toBe(true);
    expect(ifNoneMatchHits("xy", "x")).toBe(false);
  });
});

describe("hono headers: lists", () => {
  it("finds cache in Clear-Site-Data however it is written", () => {
    for (const yes of ['"cache"', "cache", '"cookies", "cache"', ' "storage",cache ', '"*"', '"CACHE"']) {
      expect(clearsCache(yes)).toBe(true);
    }
    for (const no of ['"cookies"', '"cachex"', "", undefined, '"executionContexts"']) {
      expect(clearsCache(no)).toBe(false);
    }
    expect(parseList("Accept-Encoding, accept-language")).toEqual(["accept-encoding", "accept-language"]);
  });

  it("merges Vary without duplicates", () => {
    expect(withVary(null, ["authorization"])).toBe("authorization");
    expect(withVary("Accept-Encoding", ["accept-encoding", "cookie"])).toBe("Accept-Encoding, cookie");
    expect(withVary("Cookie", ["cookie"])).toBeUndefined();
    expect(withVary("x", [])).toBeUndefined();
  });
});

describe("hono record: what may be stored and replayed", () => {
  const vary = new Set<string>(["accept-language"]);
  const statuses = new Set([200]);
  const reason = (init: ResponseInit) => unstorableReason(new Response("x", init), statuses, vary);

  it("refuses Set-Cookie, private, no-store, no-cache, unlisted statuses and foreign Vary", () => {
    expect(reason({})).toBeUndefined();
    expect(reason({ headers: { "set-cookie": "a=1" } })).toMatch(/Set-Cookie/);
    expect(reason({ headers: { "cache-control": "PRIVATE" } })).toMatch(/private/);
    expect(reason({ headers: { "cache-control": "public, no-store" } })).toMatch(/no-store/);
    expect(reason({ headers: { "cache-control": "no-cache" } })).toMatch(/no-cache/);
    expect(reason({ status: 201 })).toMatch(/201/);
    expect(reason({ headers: { vary: "Accept-Language" } })).toBeUndefined();
    expect(reason({ headers: { vary: "Accept-Language, Cookie" } })).toMatch(/cookie/);
    expect(reason({ headers: { vary: "*" } })).toMatch(/\*/);
  });

  it("refuses to replay a stored entry with a field it never stores, whatever the name's case", () => {
    const entry = (headers: [string, string][]) => ({
      status: 200,
      headers,
      body: "x",
      digest: "",
      storedAt: 0,
      expiresAt: 1,
    });
    const servable = (headers: [string, string][]) => unservableReason(entry(headers), vary);
    expect(
      servable([
        ["content-type", "text/plain"],
        ["cache-control", "public, max-age=60"],
      ]),
    ).toBeUndefined();
    expect(servable([["Vary", "Accept-Language"]])).toBeUndefined();
    expect(servable([["Clear-Site-Data", '"cookies"']])).toMatch(/Clear-Site-Data/);
    expect(servable([["SET-COOKIE", "a=1"]])).toMatch(/Set-Cookie/);
    expect(servable([["cache-control", "max-age=60, PRIVATE"]])).toMatch(/private/);
    expect(servable([["Cache-Control", "no-store"]])).toMatch(/no-store/);
    expect(servable([["cache-control", 'no-cache="set-cookie"']])).toMatch(/no-cache/);
    // The directive's name only: a value naming one is no directive.
    expect(servable([["cache-control", 'max-age=60, ext="private"']])).toBeUndefined();
    expect(servable([["vary", "cookie"]])).toMatch(/cookie/);
  });

  it("drops hop-by-hop fields, fields named in Connection, and fields recomputed on replay", () => {
    const headers = new Headers({
      connection: "close, X-Hop",
      "keep-alive": "timeout=5",
      "transfer-encoding": "chunked",
      "x-hop": "1",
      "content-length": "10",
      age: "3",
      "x-cache": "HIT",
      "content-type": "text/plain",
      etag: '"e"',
    });
    expect(replayableHeaders(headers)).toEqual([
      ["content-type", "text/plain"],
      ["etag", '"e"'],
    ]);
  });
});
