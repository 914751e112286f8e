// Request-scoped values templates may read by name, registered before the functions that use them
// are wrapped (templates resolve names when they compile).
import { keyError } from "./template-parse";

/** Request-scoped values a template may read, by key-context name. */
export type KeyContext = Readonly<Record<string, unknown>>;

const contextNames = new Set<string>();
const CONTEXT_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Lets templates read `{name}` and `{name.path}` from the key context supplied at call time
 * (a parameter of the same name wins). Register before wrapping the functions that use it.
 * @example registerKeyContext("tenant") // then key: "{tenant}:user:{id}"
 */
export function registerKeyContext(name: string): void {
  if (!CONTEXT_NAME.test(name)) {
    throw keyError(
      `key context name ${JSON.stringify(name)} is not an identifier`,
      "use letters, digits, _ or $",
    );
  }
  contextNames.add(name);
}

/** Whether `name` was registered with `registerKeyContext`. */
export function isKeyContext(name: string): boolean {
  return contextNames.has(name);
}
