// One idb-keyval custom store with what a long-lived cache needs around it: a bounded open (an
// open queued behind another tab's blocked upgrade would otherwise hang every command), closing
// on `versionchange` (so this cache never blocks another tab's upgrade) and reopening afterwards,
// and IndexedDB failures turned into `CacheBackendError`s that say what to do. It opens the
// database the way idb-keyval's `createStore(db, store)` does (no version; the store is created
// with a new database) but keeps the connection in hand: `createStore` hides it, so a database
// lacking the store would leave an open connection nobody can close, blocking other tabs.
import { promisifyRequest, type UseStore } from "idb-keyval";
import { CacheBackendError, CacheError, errorMessage } from "../core/errors";

const NAME = "idb";

/** An idb-keyval store that opens on first use, within `openTimeoutMs`. */
export class IdbConnection {
  readonly #db: string;
  readonly #store: string;
  readonly #openTimeoutMs: number;
  #opening: Promise<UseStore> | undefined;
  #connection: IDBDatabase | undefined;

  constructor(db: string, store: string, openTimeoutMs: number) {
    this.#db = db;
    this.#store = store;
    this.#openTimeoutMs = openTimeoutMs;
  }

  /**
   * Runs `body` in one transaction on the store; it must only issue requests (no other awaits),
   * as IndexedDB commits a transaction as soon as it has nothing pending.
   */
  async run<T>(
    command: string,
    mode: IDBTransactionMode,
    body: (store: IDBObjectStore) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const use = await this.#open(command);
      try {
        return await use(mode, body);
      } catch (error) {
        // The browser (or a versionchange) closed the connection under us: reopen once.
        if (attempt === 0 && isClosed(error)) {
          this.#forget();
          continue;
        }
        throw this.#wrap(error, command);
      }
    }
  }

  /** Closes the connection (if one opened); the next command opens a new one. */
  close(): void {
    const connection = this.#connection;
    this.#forget();
    connection?.close();
  }

  #forget(): void {
    this.#opening = undefined;
    this.#connection = undefined;
  }

  #open(command: string): Promise<UseStore> {
    if (this.#opening !== undefined) return this.#opening;
    if (typeof indexedDB === "undefined") {
      return Promise.reject(
        new CacheBackendError(
          NAME,
          errorMessage(
            NAME,
            "IndexedDB is not available here",
            "use idb:// in a browser page or worker, or another backend",
          ),
        ),
      );
    }
    const opened = openDatabase(this.#db, this.#store);
    const attempt = deadline(opened, this.#openTimeoutMs).then(
      (connection) => {
        if (this.#opening !== attempt) {
          connection.close(); // closed or superseded while opening
          throw new DOMException("the connection was closed while opening", "InvalidStateError");
        }
        this.#connection = connection;
        this.#watch(connection, attempt);
        return storeOf(connection, this.#store);
      },
      (error: unknown) => {
        if (this.#opening === attempt) this.#opening = undefined;
        // An open that ends after we gave up must not keep a connection nobody closes.
        if (error === TIMED_OUT)
          opened.then(
            (connection) => connection.close(),
            () => undefined,
          );
        throw this.#wrap(error, command);
      },
    );
    this.#opening = attempt;
    return attempt;
  }

  /** Lets another tab upgrade the database: close at once, reopen on the next command. */
  #watch(connection: IDBDatabase, attempt: Promise<UseStore>): void {
    connection.onversionchange = () => {
      connection.close();
      if (this.#opening === attempt) this.#forget();
    };
  }

  #wrap(error: unknown, command: string): unknown {
    if (CacheError.is(error) || error instanceof TypeError) return error;
    const where = `IndexedDB database "${this.#db}", object store "${this.#store}"`;
    if (error === TIMED_OUT) {
      return backendError(
        `opening ${where} took longer than ${this.#openTimeoutMs} ms (another tab's pending version upgrade blocks it)`,
        "close the site's other tabs, or raise openTimeout",
      );
    }
    const name = (error as { name?: unknown } | null)?.name;
    if (name === "NotFoundError") {
      return backendError(
        `${where} does not exist: the database exists without that store`,
        "idb-keyval creates a store only with a new database, so give each store a database name of its own, or delete the database",
        error,
      );
    }
    if (name === "QuotaExceededError") {
      return backendError(
        `${command} on ${where} failed: the origin's storage quota is used up`,
        "free space (clear(), shorter TTLs) or ask for more with navigator.storage.persist()",
        error,
      );
    }
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return backendError(
      `${command} on ${where} failed (${detail})`,
      "check the browser's storage settings",
      error,
    );
  }
}

/** Opens `name` at its current version, creating `store` only when the database is new. */
async function openDatabase(name: string, store: string): Promise<IDBDatabase> {
  const request = indexedDB.open(name);
  request.onupgradeneeded = () => request.result.createObjectStore(store);
  const connection = await promisifyRequest(request);
  if (!connection.objectStoreNames.contains(store)) {
    connection.close();
    throw new DOMException(`no object store "${store}"`, "NotFoundError");
  }
  return connection;
}

/** An idb-keyval `UseStore` over an open connection, so idb-keyval's functions run on it. */
function storeOf(connection: IDBDatabase, store: string): UseStore {
  return (mode, callback) =>
    new Promise((resolve) => resolve(callback(connection.transaction(store, mode).objectStore(store))));
}

const TIMED_OUT: unique symbol = Symbol("idb open timed out");

function deadline<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}

function isClosed(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "InvalidStateError";
}

function backendError(problem: string, remedy: string, cause?: unknown): CacheBackendError {
  return new CacheBackendError(
    NAME,
    errorMessage(NAME, problem, remedy),
    cause === undefined ? undefined : { cause },
  );
}
