import { CacheConfigError, errorMessage } from "../core/errors";
import { base64UrlToBytes, bytesToBase64Url, utf8Encode } from "./base64";

/** HMAC-SHA-256 bytes; any other signature length cannot match. */
const MAC_BYTES = 32;

/**
 * Signs stored payloads and checks them on read (`setup({ secret })`). Data is signed as UTF-8,
 * so a lone surrogate signs like U+FFFD (encoded payloads never hold one: JSON escapes them).
 */
export interface Signer {
  /** The unpadded base64url HMAC-SHA-256 of `data` (43 characters). */
  sign(data: string): Promise<string>;
  /** `true` only when `signature` is the HMAC of `data` under this secret, spelled as `sign` spells it; malformed input gives `false`. */
  verify(data: string, signature: string): Promise<boolean>;
}

/**
 * Creates an HMAC-SHA-256 signer over Web Crypto. The key is imported on first use and reused;
 * verification goes through `crypto.subtle.verify`, which compares in constant time.
 * Throws `CacheConfigError` for an empty secret. The secret never appears in any message.
 *
 * @example
 * const signer = createSigner(env.CACHE_SECRET);
 * const tag = await signer.sign(`${key}\n${payload}`);
 * await signer.verify(`${key}\n${payload}`, tag); // true
 */
export function createSigner(secret: string): Signer {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new CacheConfigError(
      errorMessage(
        "sign",
        "the signing secret is empty or not a string",
        "pass a non-empty string as `secret`, or leave the option out to store values unsigned",
      ),
    );
  }
  let key: Promise<CryptoKey> | undefined;
  const getKey = (): Promise<CryptoKey> => {
    if (key === undefined) {
      const pending = importKey(secret);
      key = pending;
      // A failed import is not cached: the next call tries again.
      pending.catch(() => {
        if (key === pending) key = undefined;
      });
    }
    return key;
  };

  return {
    async sign(data: string): Promise<string> {
      const mac = await subtle().sign("HMAC", await getKey(), utf8Encode(data));
      return bytesToBase64Url(new Uint8Array(mac));
    },
    async verify(data: string, signature: string): Promise<boolean> {
      if (typeof data !== "string" || typeof signature !== "string") return false;
      let mac: Uint8Array<ArrayBuffer>;
      try {
        mac = base64UrlToBytes(signature);
      } catch {
        return false;
      }
      // base64url has other spellings of the same bytes (spare low bits in the last character,
      // padding): only the one `sign` writes is accepted, so every changed character is a miss.
      if (mac.byteLength !== MAC_BYTES || bytesToBase64Url(mac) !== signature) return false;
      return subtle().verify("HMAC", await getKey(), mac, utf8Encode(data));
    },
  };
}

function subtle(): SubtleCrypto {
  const api = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!api) {
    // Browsers hide crypto.subtle outside secure contexts (plain http:// pages).
    throw new CacheConfigError(
      errorMessage(
        "sign",
        "Web Crypto (crypto.subtle) is not available",
        "serve the page over HTTPS or localhost, use a runtime with Web Crypto, or drop the `secret` option",
      ),
    );
  }
  return api;
}

async function importKey(secret: string): Promise<CryptoKey> {
  return subtle().importKey("raw", utf8Encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}
