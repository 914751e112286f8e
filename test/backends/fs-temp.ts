// Real temporary directories for the fs backend tests, usable on Node, Bun and Deno: `next()`
// names a fresh directory under one root per test file (not created: the backend creates it on
// its first command), `cleanup()` removes everything below the root, `remove()` the root too.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temporary directories under one root named after `label`. */
export function tempDirs(label: string) {
  const root = mkdtempSync(join(tmpdir(), `isocache-${label}-`));
  let serial = 0;
  return {
    root,
    next: (): string => join(root, `store-${++serial}`),
    async cleanup(): Promise<void> {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
    },
    remove: (): void => rmSync(root, { recursive: true, force: true }),
  };
}

/** `file://` URL of a directory path. */
export function fileUrl(dir: string): string {
  return `file://${dir.split("/").map(encodeURIComponent).join("/")}`;
}
