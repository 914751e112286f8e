// One runtime writes, another reads: a Node, a Bun and a Deno process (the fixture bundled for
// each runtime's entry) share a Redis server and a directory. For every writer/reader pair, with
// default options and with `secret` + `compress`, what the reader decodes describes exactly as
// what the writer stored, under keys storage could mangle, listed back by `scan`, with its TTL; tags written by one are deleted by another's deleteTags; a counter
// incremented by each in turn counts every increment; a value signed under another secret is a
// miss. The processes are started once and reused.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { skipWithoutRedis } from "../support/skip";
import { bundleFixture, type FixtureEntry, startWorker, type Worker } from "./fixtures/workers";
import { fileUrl, tempDirs } from "./fs-temp";
import { dropPrefixes, freshRedisUrl } from "./redis-targets";

const redisUrl = inject("redisUrl") ?? "redis://127.0.0.1:1";

const RUNTIMES: readonly FixtureEntry[] = ["node", "bun", "deno"];

/** What the fixture's `write` answers. */
type Written = { described: Record<string, unknown>; keys: unknown; record: string | undefined };

/** What the fixture's `read` answers. */
type ReadAll = { described: Record<string, unknown>; keys: unknown; expire: number };

/** What the fixture's `get` answers. */
type Read = { value: unknown; reported: string[] };

const MISS = { t: "miss" };

const OPTION_SETS = [
  { label: "default options", options: { suppress: false }, signed: false },
  {
    label: "secret + compress",
    options: { suppress: false, secret: "xr-secret", compress: true },
    signed: true,
  },
] as const;

const dirs = tempDirs("xrt");
const redisPrefixes: string[] = [];

/** A fresh store on `backend`: a key-prefixed URL on the test Redis, or a new directory. */
function freshUrl(backend: "redis" | "file"): string {
  if (backend === "file") return fileUrl(dirs.next());
  const { url, prefix } = freshRedisUrl(redisUrl, "xrt");
  redisPrefixes.push(prefix);
  return url;
}

/** Every ordered pair of two different runtimes. */
const PAIRS = RUNTIMES.flatMap((a) => RUNTIMES.filter((b) => b !== a).map((b) => [a, b] as const));

describe("one runtime writes, another reads (node, bun, deno processes)", () => {
  const workers = new Map<FixtureEntry, Worker>();
  const on = (runtime: FixtureEntry): Worker => workers.get(runtime) as Worker;

  beforeAll(async () => {
    const scripts = await Promise.all(RUNTIMES.map((runtime) => bundleFixture("values-worker", runtime)));
    RUNTIMES.forEach((runtime, i) => {
      workers.set(runtime, startWorker(scripts[i] as string, {}, ["-A"], runtime));
    });
    // Each answers with the entry it was bundled for, run by the runtime it names.
    expect(await Promise.all(RUNTIMES.map((runtime) => on(runtime).call("runtime")))).toEqual(RUNTIMES);
    expect(await Promise.all(RUNTIMES.map((runtime) => on(runtime).call("host")))).toEqual(RUNTIMES);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(
      Array.from(workers.values(), async (worker) => {
        await worker.call("close").catch(() => undefined);
        await worker.stop();
      }),
    );
    if (!skipWithoutRedis) await dropPrefixes(redisUrl, redisPrefixes);
    dirs.remove();
  });

  for (const backend of ["redis", "file"] as const) {
    describe.skipIf(backend === "redis" && skipWithoutRedis)(`${backend}://`, () => {
      for (const { label, options, signed } of OPTION_SETS) {
        describe(label, () => {
          const url = freshUrl(backend);
          const written = new Map<FixtureEntry, Written>();

          beforeAll(async () => {
            const results = await Promise.all(
              RUNTIMES.map((runtime) => on(runtime).call<Written>("write", url, options, `${runtime}:`)),
            );
            RUNTIMES.forEach((runtime, i) => {
              written.set(runtime, results[i] as Written);
            });
          }, 20_000);

          it("the records are in the format the options ask for", () => {
            for (const { record } of written.values()) {
              if (signed) expect(record).toMatch(/^@\{[^\n]*"c":"gzip"[^\n]*"s":"[\w-]{43}"\}\n/);
              else expect(record?.startsWith("{")).toBe(true);
            }
          });

          for (const writer of RUNTIMES) {
            for (const reader of RUNTIMES) {
              it(`${writer} writes, ${reader} reads: every value as written`, async () => {
                const read = await on(reader).call<ReadAll>("read", url, options, `${writer}:`);
                expect(read.described).toEqual(written.get(writer)?.described);
                expect(read.keys).toEqual(written.get(writer)?.keys);
                expect(read.expire).toBeGreaterThan(590_000);
                expect(read.expire).toBeLessThanOrEqual(600_000);
              });
            }
          }

          it("a counter incremented by each runtime in turn counts every increment", async () => {
            const steps = [1, 2, 5, -3, 10, 1, 7, 4, 2, 0.5, 0.25, -1];
            let total = 0;
            for (const [i, by] of steps.entries()) {
              total += by;
              const runtime = RUNTIMES[i % RUNTIMES.length] as FixtureEntry;
              expect([runtime, await on(runtime).call("incr", url, options, "counter", by)]).toEqual([
                runtime,
                total,
              ]);
            }
            for (const runtime of RUNTIMES) {
              const { value } = await on(runtime).call<Read>("get", url, options, "counter");
              expect([runtime, value]).toEqual([runtime, { t: "number", v: String(total) }]);
            }
          });

          it("tags written by one runtime are deleted by deleteTags from another", async () => {
            const all = ["taggedA", "taggedB", "untagged"];
            for (const [writer, deleter] of PAIRS) {
              const prefix = `tags:${writer}:${deleter}:`;
              await on(writer).call("writeTagged", url, options, prefix);
              for (const runtime of RUNTIMES)
                expect([runtime, await on(runtime).call("present", url, options, prefix)]).toEqual([
                  runtime,
                  all,
                ]);
              expect(await on(deleter).call("deleteTags", url, options, prefix)).toBe(2);
              for (const runtime of RUNTIMES) {
                const left = await on(runtime).call("present", url, options, prefix);
                expect([`${writer} wrote, ${deleter} deleted, ${runtime} reads`, left]).toEqual([
                  `${writer} wrote, ${deleter} deleted, ${runtime} reads`,
                  ["untagged"],
                ]);
              }
            }
          });
        });
      }

      it("a DOMException stored by any runtime reads back on every runtime as an Error of its name", async () => {
        const url = freshUrl(backend);
        for (const writer of RUNTIMES) {
          await on(writer).call("setAbortErrors", url, {}, `${writer}:`);
          for (const name of ["made", "reason"]) {
            const reads = await Promise.all(
              RUNTIMES.map((reader) => on(reader).call<Read>("get", url, {}, `${writer}:${name}`)),
            );
            const [first] = reads;
            expect([writer, name, first?.value]).toMatchObject([
              writer,
              name,
              { tag: "[object Error]", proto: "Error", name: "AbortError" },
            ]);
            if (name === "made") expect(first?.value).toMatchObject({ message: "gone" });
            for (const read of reads) expect(read).toEqual(first);
          }
        }
      });

      it("a value signed under one secret is a miss under another, and a hit under the same", async () => {
        const url = freshUrl(backend);
        for (const [writer, reader] of PAIRS) {
          const key = `signed:${writer}:${reader}`;
          await on(writer).call("set", url, { secret: "alpha" }, key, { by: writer });
          const other = await on(reader).call<Read>("get", url, { secret: "beta" }, key);
          expect(other.value).toEqual(MISS);
          expect(other.reported).toEqual([
            expect.stringMatching(/^CacheValueError: .*signature does not match/),
          ]);
          const same = await on(reader).call<Read>("get", url, { secret: "alpha" }, key);
          expect(same).toEqual({
            value: {
              tag: "[object Object]",
              proto: "Object",
              own: [
                [
                  "by",
                  { t: "string", length: writer.length, v: Array.from(writer, (c) => c.codePointAt(0)) },
                ],
              ],
            },
            reported: [],
          });
        }
      });
    });
  }
});
