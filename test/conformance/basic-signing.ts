import { type Harness, MISS, matchSorted } from "./basic-harness";
import type { CacheLike } from "./types";

const VALUE = { text: "a signed value long enough to have a middle ".repeat(4), n: 42, when: new Date(0) };

// Signature failures may be reported to `onError`; a no-op handler keeps the test output quiet.
const QUIET = { onError: () => {} };

/** `raw` with the character at `index` replaced by one that differs in every encoding we might meet. */
function flip(raw: string, index: number): string {
  const replacement = raw[index] === "0" ? "1" : "0";
  return raw.slice(0, index) + replacement + raw.slice(index + 1);
}

/** A cache signing with "s1" on a fresh storage, the storage, and `VALUE` stored under "a". */
async function signedSetup(h: Harness): Promise<{ store: unknown; signed: CacheLike }> {
  const store = await h.store();
  const signed = h.attach(store, { ...QUIET, secret: "s1" });
  await signed.set("a", VALUE);
  return { store, signed };
}

/** SPEC 2 `secret`: a tampered, moved or unsigned value reads as a miss, and nothing throws. */
export function signingTests(h: Harness): void {
  const { t } = h;

  t.describe("signing (secret)", () => {
    t.it("a signed value reads back, also through another cache with the same secret", async () => {
      const { store, signed } = await signedSetup(h);
      t.expect(await signed.get("a")).toEqual(VALUE);
      t.expect(await h.attach(store, { ...QUIET, secret: "s1" }).get("a")).toEqual(VALUE);
    });

    t.it("a value written without a secret reads as a miss", async () => {
      const { store, signed } = await signedSetup(h);
      await h.attach(store).set("plain", 1);
      t.expect(await signed.get("plain", MISS)).toBe(MISS);
    });

    t.it("a value written with another secret reads as a miss", async () => {
      const { store, signed } = await signedSetup(h);
      await h.attach(store, { ...QUIET, secret: "s2" }).set("other", 1);
      t.expect(await signed.get("other", MISS)).toBe(MISS);
    });

    t.it("a tampered value reads as a miss, and the untouched one reads again", async () => {
      const { signed } = await signedSetup(h);
      const raw = await signed.getRaw("a");
      t.expect(typeof raw).toBe("string");
      const text = raw as string;
      for (const at of [
        Math.floor(text.length / 3),
        Math.floor(text.length / 2),
        Math.floor((text.length * 2) / 3),
      ]) {
        await signed.setRaw("a", flip(text, at));
        t.expect(await signed.get("a", MISS)).toBe(MISS);
      }
      await signed.setRaw("a", text);
      t.expect(await signed.get("a")).toEqual(VALUE);
    });

    t.it("a value moved to another key reads as a miss there", async () => {
      const { signed } = await signedSetup(h);
      await signed.setRaw("b", (await signed.getRaw("a")) as string);
      t.expect(await signed.get("b", MISS)).toBe(MISS);
      t.expect(await signed.get("a")).toEqual(VALUE);
    });

    t.it("getMany and getMatch also skip values that fail verification", async () => {
      const { store, signed } = await signedSetup(h);
      await h.attach(store).set("plain", 1);
      await h.attach(store, { ...QUIET, secret: "s2" }).set("other", 2);
      await signed.setRaw("moved", (await signed.getRaw("a")) as string);
      t.expect(await signed.getMany(["plain", "a", "other", "moved"], MISS)).toEqual([
        MISS,
        VALUE,
        MISS,
        MISS,
      ]);
      t.expect(await matchSorted(signed, "*")).toEqual([["a", VALUE]]);
    });
  });
}
