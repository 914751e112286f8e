// Keys of SharedArrayBuffers: keyed by their bytes like an ArrayBuffer, as a kind of their own.
import { describe, expect, it } from "vitest";
import { renderArgs, stableRender } from "../../src/keys/render";
import { compileKey } from "../../src/keys/template";
import { foreign } from "../support/realms";

describe.runIf(typeof SharedArrayBuffer === "function")("keys of SharedArrayBuffers", () => {
  const shared = (bytes: number[]): SharedArrayBuffer => {
    const buffer = new SharedArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    return buffer;
  };

  it("keys a SharedArrayBuffer by its bytes", () => {
    expect(stableRender(shared([1, 2, 255]))).toBe("SharedArrayBuffer[1,2,255]");
    expect(stableRender(shared([1, 2]))).toBe(stableRender(shared([1, 2])));
    expect(stableRender(shared([1, 2]))).not.toBe(stableRender(shared([1, 3])));
    expect(renderArgs([{ data: shared([7]) }])).toBe('{"data":SharedArrayBuffer[7]}');
  });

  it("gives a SharedArrayBuffer and an ArrayBuffer of the same bytes different keys", () => {
    expect(stableRender(shared([1, 2]))).not.toBe(stableRender(new Uint8Array([1, 2]).buffer));
  });

  it("reads one from another realm as one made here", () => {
    const source = "(() => { const b = new SharedArrayBuffer(2); new Uint8Array(b)[1] = 9; return b; })()";
    expect(stableRender(foreign(source))).toBe("SharedArrayBuffer[0,9]");
  });

  it("counts and hashes its bytes in templates as an ArrayBuffer's", async () => {
    expect(compileKey("{0:len}", ["b"])([shared([1, 2, 3])])).toBe("3");
    const hash = compileKey("{0:hash}", ["b"]);
    expect(await hash([shared([1, 2])])).toBe(await hash([new Uint8Array([1, 2])]));
    // A view on shared memory too: Web Crypto refuses to digest one directly.
    expect(await hash([new Uint8Array(shared([1, 2]))])).toBe(await hash([new Uint8Array([1, 2])]));
  });
});
