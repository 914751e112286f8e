// A gzip bomb built with the platform's own CompressionStream, for the tests of the decompression
// limit on every runtime: `mib` MiB of one repeated byte compress about a thousandfold.

const MiB = 1024 * 1024;

/** Base64 of gzip whose output is `before`, then `mib` MiB of `byte`, then `after` (8 MiB → about 8 KB). */
export async function gzipBomb(mib: number, byte = 0x61, before = "", after = ""): Promise<string> {
  const stream = new CompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const block = new Uint8Array(MiB).fill(byte);
  const encoder = new TextEncoder();
  const written = (async () => {
    await writer.write(encoder.encode(before));
    for (let i = 0; i < mib; i++) await writer.write(block);
    await writer.write(encoder.encode(after));
    await writer.close();
  })();
  let binary = "";
  const reader = stream.readable.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    for (const byte of read.value) binary += String.fromCharCode(byte);
  }
  await written;
  return btoa(binary);
}
