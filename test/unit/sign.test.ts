import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CacheConfigError } from "../../src/core/errors";
import { base64UrlToBytes, utf8Encode } from "../../src/serialization/base64";
import { createSigner } from "../../src/serialization/sign";

const SECRET = "correct horse battery staple";

describe("createSigner", () => {
  it("signs with HMAC-SHA-256 as unpadded base64url (RFC 4231 test case 2)", async () => {
    const signer = createSigner("Jefe");
    const signature = await signer.sign("what do ya want for nothing?");
    const hex = [...base64UrlToBytes(signature)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(hex).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("verifies its own signatures and is deterministic", async () => {
    const signer = createSigner(SECRET);
    const data = 'user:1\n{"name":"Ada","when":{"$t":"Date","v":"1970-01-01T00:00:00.000Z"}}';
    const signature = await signer.sign(data);
    expect(await signer.sign(data)).toBe(signature);
    expect(await signer.verify(data, signature)).toBe(true);
    expect(await createSigner(SECRET).verify(data, signature)).toBe(true);
  });

  it("rejects tampered data, a tampered signature and another secret", async () => {
    const signer = createSigner(SECRET);
    const signature = await signer.sign("user:1\n42");
    expect(await signer.verify("user:1\n43", signature)).toBe(false);
    expect(await signer.verify("user:2\n42", signature)).toBe(false);
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    expect(await signer.verify("user:1\n42", flipped)).toBe(false);
    expect(await createSigner(`${SECRET}!`).verify("user:1\n42", signature)).toBe(false);
  });

  it("answers false, without throwing, for malformed signatures", async () => {
    const signer = createSigner(SECRET);
    const signature = await signer.sign("data");
    for (const bad of [
      "",
      "!!!",
      "A",
      signature.slice(0, -2),
      `${signature}AAAA`,
      `${signature}==`,
      "a b",
      "+/+/",
    ]) {
      expect(await signer.verify("data", bad)).toBe(false);
    }
    expect(await signer.verify("data", undefined as unknown as string)).toBe(false);
    expect(await signer.verify(undefined as unknown as string, signature)).toBe(false);
  });

  it("rejects other spellings of the right MAC: low bits of the last character, added padding", async () => {
    const signer = createSigner(SECRET);
    const signature = await signer.sign("user:1\n42");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.slice(-1));
    // 43 characters carry 258 bits for a 256-bit MAC: the last character's two low bits are spare.
    for (let spare = 1; spare < 4; spare++) {
      const respelled = signature.slice(0, -1) + alphabet[last ^ spare];
      expect(await signer.verify("user:1\n42", respelled)).toBe(false);
    }
    expect(await signer.verify("user:1\n42", `${signature}=`)).toBe(false);
    expect(await signer.verify("user:1\n42", signature)).toBe(true);
  });

  it("accepts exactly the right signature for any data", async () => {
    const signer = createSigner(SECRET);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), async (data, other) => {
        const signature = await signer.sign(data);
        expect(await signer.verify(data, signature)).toBe(true);
        // Data is signed as UTF-8, where a lone surrogate and U+FFFD are the same bytes.
        const sameBytes = utf8Encode(data).join() === utf8Encode(other).join();
        expect(await signer.verify(other, signature)).toBe(sameBytes);
      }),
      { numRuns: 50 },
    );
  });

  it("refuses an empty secret with a CacheConfigError that does not echo secrets", () => {
    expect(() => createSigner("")).toThrow(CacheConfigError);
    expect(() => createSigner(undefined as unknown as string)).toThrow(/\[isocache\] \[sign\] .+: .+/);
  });

  it("imports the key once, even for concurrent first calls", async () => {
    const subtle = globalThis.crypto.subtle;
    const original = subtle.importKey.bind(subtle);
    let imports = 0;
    const counting = ((...args: Parameters<typeof original>) => {
      imports++;
      return original(...args);
    }) as typeof subtle.importKey;
    Object.defineProperty(subtle, "importKey", { value: counting, configurable: true, writable: true });
    try {
      const signer = createSigner(SECRET);
      expect(imports).toBe(0);
      const [a, b] = await Promise.all([signer.sign("x"), signer.sign("x")]);
      expect(await signer.verify("x", a)).toBe(true);
      expect(a).toBe(b);
      expect(imports).toBe(1);
    } finally {
      Reflect.deleteProperty(subtle, "importKey");
    }
    expect(subtle.importKey).not.toBe(counting);
  });
});
