// A compressed write whose encoding fails while an earlier write of its key is still being
// encoded: the failure reaches its caller at once (never an unhandled rejection), and the key's
// later commands still run in order. Compression is made slow or failing on purpose here; the
// queueing under test is the real one.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/serialization/compress", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/serialization/compress")>();
  return {
    ...real,
    compress: async (text: string, format?: "gzip" | "deflate") => {
      if (text.includes("FAIL")) throw new Error("compression failed");
      await new Promise((resolve) => setTimeout(resolve, 30));
      return real.compress(text, format);
    },
  };
});

const { Cache } = await import("../../runtimes/node");

const BIG = "a value that is compressed before it is stored ".repeat(60);

describe("a failing encode among queued writes", () => {
  it("rejects its own call only, while the earlier write is still encoding", async () => {
    const cache = new Cache().setup("mem://?size=100", { compress: true });
    const first = cache.set("k", BIG);
    const failing = cache.set("k", `FAIL ${BIG}`);
    const failed = await failing.then(
      () => "stored",
      (error: Error) => error.message,
    );
    expect(failed).toBe("compression failed");
    const last = cache.set("k", "after");
    expect(await first).toBe(true);
    expect(await last).toBe(true);
    expect(await cache.get("k")).toBe("after");
  });
});
