// Keys of errors: two errors that differ in what a caller could branch on (a code, a cause) must
// give two keys.
import { describe, expect, it } from "vitest";
import { renderArgs, renderText, stableRender } from "../../src/keys/render";
import { foreign, local } from "../support/realms";

/** A Node-style system error: own enumerable `code`, as fs and net raise them. */
function systemError(code: string | number): Error {
  return Object.assign(new Error("open failed"), { code });
}

describe("keys of errors", () => {
  it("keeps the key of an error without code or cause as it was", () => {
    expect(stableRender(new TypeError("boom"))).toBe('TypeError("boom")');
    expect(stableRender(new Error(""))).toBe('Error("")');
  });

  it("tells apart errors that differ only in code, a string or a number", () => {
    const keys = [systemError("ENOENT"), systemError("EACCES"), systemError(2), systemError("2")].map(
      stableRender,
    );
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toBe('Error("open failed",code:"ENOENT")');
    expect(keys[2]).toBe('Error("open failed",code:2)');
    expect(stableRender(systemError("ENOENT"))).not.toBe(stableRender(new Error("open failed")));
    // A code that is neither a string nor a number does not go into the key.
    expect(stableRender(Object.assign(new Error("x"), { code: { deep: 1 } }))).toBe('Error("x")');
  });

  it("tells apart DOMExceptions by name and by code", () => {
    const abort = new DOMException("stop", "AbortError");
    const timeout = new DOMException("stop", "TimeoutError");
    expect(stableRender(abort)).not.toBe(stableRender(timeout));
    expect(stableRender(abort)).toContain(`code:${abort.code}`);
  });

  it("tells apart errors that differ only in cause, rendered like any argument", () => {
    const a = new Error("wrapped", { cause: systemError("ENOENT") });
    const b = new Error("wrapped", { cause: systemError("EACCES") });
    const c = new Error("wrapped", { cause: { status: 503, at: new Date(0) } });
    const plain = new Error("wrapped");
    const keys = [a, b, c, plain].map(stableRender);
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toBe('Error("wrapped",cause:Error("open failed",code:"ENOENT"))');
    expect(keys[2]).toBe('Error("wrapped",cause:{"at":Date(1970-01-01T00:00:00.000Z),"status":503})');
    // An explicit undefined cause is still a cause: `new Error(m, { cause: undefined })` owns one.
    expect(stableRender(new Error("wrapped", { cause: undefined }))).toBe('Error("wrapped",cause:undefined)');
    expect(renderArgs([a])).toBe(keys[0]);
    expect(renderText(b)).toBe(keys[1]);
  });

  it("renders a cycle through causes as a back-reference instead of recursing forever", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(stableRender(a)).toBe('Error("a",cause:Error("b",cause:^2))');
    const self = new Error("self");
    (self as { cause?: unknown }).cause = self;
    expect(stableRender(self)).toBe('Error("self",cause:^1)');
  });

  it("reads code and cause of an error from another realm as of one made here", () => {
    const source = "Object.assign(new Error('x', { cause: new RangeError('far') }), { code: 'E_X' })";
    expect(stableRender(foreign(source))).toBe(stableRender(local(source)));
    expect(stableRender(local(source))).toBe('Error("x",code:"E_X",cause:RangeError("far"))');
  });
});
