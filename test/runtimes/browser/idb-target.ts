// Suite targets on Chromium's real IndexedDB: every storage the suite asks for is a database of
// its own, deleted after each test.
import { idbBackend } from "../../../src/backends/idb";

/** Deletes a database; resolves once it is gone (our caches close on `versionchange`, so it is never blocked for long). */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** Fresh storages: `url` gives `idb://DB/kv`, `object` gives `idbBackend({ db: DB, store: "kv" })`. */
export function idbStorages(form: "url" | "object") {
  const run = crypto.randomUUID().slice(0, 8);
  let next = 0;
  let names: string[] = [];
  return {
    create(): unknown {
      const db = `isocache-${run}-${next++}`;
      names.push(db);
      return form === "url" ? `idb://${db}/kv` : idbBackend({ db, store: "kv" });
    },
    async cleanup(): Promise<void> {
      const used = names;
      names = [];
      await Promise.all(used.map(deleteDatabase));
    },
  };
}
