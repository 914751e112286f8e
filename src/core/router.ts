import { INTERNAL_PREFIX } from "./keys";
import type { Route } from "./route";
import type { Backend } from "./types";

/** Maps keys to routes: the longest matching prefix wins; the route without prefix is the default. */
export class Router {
  #routes: Route[] = [];
  #default: Route | undefined;
  /** Routes a later `setup` replaced: `close()` still has to close their backends. */
  #replaced: Route[] = [];
  readonly #makeDefault: () => Route;

  constructor(makeDefault: () => Route) {
    this.#makeDefault = makeDefault;
  }

  /** Adds a route, replacing one with the same prefix. */
  add(route: Route): void {
    if (route.prefix === "") {
      if (this.#default !== undefined) this.#replaced.push(this.#default);
      this.#default = route;
      return;
    }
    for (const existing of this.#routes) if (existing.prefix === route.prefix) this.#replaced.push(existing);
    this.#routes = this.#routes.filter((existing) => existing.prefix !== route.prefix);
    this.#routes.push(route);
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /**
   * The route serving `key`. An internal key (`__isocache__:<kind>:<key>`: a load lock, a rate
   * counter, a tag index) goes where the key it guards goes, so `lock: true` on a prefix routed to
   * Redis locks in Redis, not in the default backend of each process.
   */
  route(key: string): Route {
    const routes = this.#routes;
    if (routes.length === 0) return this.default();
    const target = key.startsWith(INTERNAL_PREFIX) ? guardedKey(key) : key;
    for (let index = 0; index < routes.length; index++) {
      const route = routes[index] as Route;
      if (target.startsWith(route.prefix)) return route;
    }
    return this.default();
  }

  /** The route of keys no prefix matches; a `mem://` one unless `setup` gave another. */
  default(): Route {
    if (this.#default === undefined) this.#default = this.#makeDefault();
    return this.#default;
  }

  /** Every route, the default last. */
  all(): Route[] {
    return [...this.#routes, this.default()];
  }

  /** One route per distinct backend, so shared backends are scanned, counted and cleared once. */
  distinct(): Route[] {
    return distinctBackends(this.all());
  }

  /**
   * One route per distinct backend to close: the ones serving keys and the ones a later `setup`
   * replaced, which are forgotten (a replaced backend is closed once, and then no longer used).
   */
  closing(): Route[] {
    const replaced = this.#replaced;
    this.#replaced = [];
    return distinctBackends([...this.all(), ...replaced]);
  }

  /** Groups keys by route, keeping each key's index in the input. */
  group(keys: readonly string[]): Map<Route, number[]> {
    const groups = new Map<Route, number[]>();
    for (let index = 0; index < keys.length; index++) {
      const route = this.route(keys[index] as string);
      const list = groups.get(route);
      if (list === undefined) groups.set(route, [index]);
      else list.push(index);
    }
    return groups;
  }
}

/** The first route of each backend among `routes`. */
function distinctBackends(routes: readonly Route[]): Route[] {
  const seen = new Set<Backend>();
  const out: Route[] = [];
  for (const route of routes) {
    if (seen.has(route.backend)) continue;
    seen.add(route.backend);
    out.push(route);
  }
  return out;
}

/** The key an internal key is about: what follows `__isocache__:<kind>:`. */
function guardedKey(key: string): string {
  const at = key.indexOf(":", INTERNAL_PREFIX.length);
  return at < 0 ? key : key.slice(at + 1);
}
