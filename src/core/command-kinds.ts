/** Commands that change nothing, so reads in flight stay valid across them. */
export const READ_ONLY = new Set([
  "get",
  "getRaw",
  "getMany",
  "exists",
  "getExpire",
  "getKeysCount",
  "ping",
  "isLocked",
  "members",
]);

/** Writing commands that change only the key they name, so only that key's shared read is dropped. */
export const ONE_KEY = new Set([
  "set",
  "setRaw",
  "delete",
  "expire",
  "incr",
  "setLock",
  "unlock",
  "addMembers",
  "removeMembers",
  "slideWindow",
]);

/** Commands on the one key they name, which wait only for that key's queued commands (see `Route.call`). */
export const SINGLE = new Set([...ONE_KEY, "get", "getRaw", "exists", "getExpire", "isLocked"]);
