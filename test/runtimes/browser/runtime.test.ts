// Proves the `browser` project really runs inside Chromium, with a real IndexedDB.
import { describe, expect, it } from "vitest";
import * as lib from "../../../runtimes/browser";

describe("runtime: browser", () => {
  it("runs in Chromium", () => {
    expect(typeof window).toBe("object");
    expect(typeof document).toBe("object");
    expect(navigator.userAgent).toContain("Chrome");
    expect("process" in globalThis && "versions" in (globalThis as { process: object }).process).toBe(false);
  });

  it("has a real IndexedDB", async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open("isocache-runtime-test", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("kv");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    expect(db.objectStoreNames.contains("kv")).toBe(true);
    db.close();
  });

  it("tests the browser entry", () => {
    expect(lib.runtime).toBe("browser");
  });
});
