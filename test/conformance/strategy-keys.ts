// Keys (SPEC 5): automatic keys, `prefix`, templates and formatters, function keys, `keyContext`,
// configuration errors raised when wrapping, and both decorator forms, called by hand so the test
// files need no decorator syntax.

import {
  counted,
  expectCacheError,
  MISS,
  named,
  rejection,
  type StrategyHarness,
  thrown,
} from "./strategy-harness";
import type { AnyFn } from "./strategy-types";

type LegacyDecorator = (
  target: object,
  property: string,
  descriptor: PropertyDescriptor,
) => PropertyDescriptor | undefined;
type Tc39Decorator = (method: AnyFn, context: object) => AnyFn | undefined;

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function base64Url(text: string): string {
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function keyTests(h: StrategyHarness): void {
  const { t } = h;

  t.describe("keys", () => {
    t.it(
      "equal arguments in any property order give one automatic key; different arguments differ",
      async () => {
        const cache = await h.open();
        const c = counted();
        const find = cache.cached({ ttl: "10s" })(async function find(filter: unknown, page?: unknown) {
          return c.fn(JSON.stringify([filter, page]));
        });
        const a = await find.key({ a: 1, b: { c: 2, d: [1, 2] } }, 1);
        const b = await find.key({ b: { d: [1, 2], c: 2 }, a: 1 }, 1);
        t.expect(a).toBe(b);
        t.expect(a).toContain("find");
        await find({ x: 1, y: 2 });
        await find({ y: 2, x: 1 });
        t.expect(c.runs()).toBe(1);
        const variants: unknown[][] = [
          [1],
          ["1"],
          [true],
          ["true"],
          [null],
          [undefined],
          [[1, 2]],
          [[2, 1]],
          [{ a: 1 }],
          [{ a: "1" }],
          [{ a: 1 }, 1],
          [{ a: 1 }, 2],
          ["a,b"],
          ["a", "b"],
          ["a:b"],
          ["a", ":b"],
        ];
        const keys = await Promise.all(variants.map((args) => find.key(...args)));
        t.expect(new Set(keys).size).toBe(variants.length);
      },
    );

    // Each of these rendered as one text for every value of its kind (`Blob{}`, `Function("")`),
    // so one call's cached result answered another's.
    t.it(
      "an argument a key cannot tell apart rejects the call before it runs, unless a type formatter reads it",
      async () => {
        const cache = await h.open();
        const c = counted();
        const find = cache.cached({ ttl: "10s" })(async function find(value: unknown) {
          return c.fn(typeof value);
        });
        const templated = cache.cached({ ttl: "10s", key: "find:{value}" })(async function find(
          value: unknown,
        ) {
          return c.fn(typeof value);
        });
        class Session {
          readonly #user: string;
          constructor(user: string) {
            this.#user = user;
          }
          get user(): string {
            return this.#user;
          }
        }
        const values: unknown[] = [
          new Blob(["a"]),
          new WeakMap(),
          Promise.resolve(1),
          new Session("ann"),
          () => 1,
          Symbol("s"),
          { options: { upload: new Blob(["a"]) } },
        ];
        for (const value of values) {
          for (const wrapped of [find, templated]) {
            expectCacheError(h, await rejection(() => wrapped(value)), h.lib.CacheArgumentError);
            const keyed = await rejection(() => wrapped.key(value));
            t.expect((keyed as Error).message).toMatch(/cannot go into a cache key: .+pass key: "…"/);
          }
        }
        t.expect(c.runs()).toBe(0);
        // A signal cannot change a result: calls told apart only by theirs share one entry.
        t.expect(await find({ signal: new AbortController().signal })).toBe("object:1");
        t.expect(await find({ signal: AbortSignal.abort() })).toBe("object:1");
        h.lib.registerTypeFormatter(Session, (session: Session) => session.user);
        t.expect(await find(new Session("ann"))).toBe("object:2");
        t.expect(await find(new Session("bob"))).toBe("object:3");
        t.expect(await find(new Session("ann"))).toBe("object:2");
        t.expect(await templated.key(new Session("bob"))).toBe("find:bob");
      },
    );

    // Each runtime has its own FormData, Headers and Blob; keys read them through their own methods.
    t.it(
      "web collections key by their entries and len counts them; a file in a form is refused",
      async () => {
        const cache = await h.open();
        const c = counted();
        const post = cache.cached({ ttl: "10s" })(async function post(form: FormData) {
          return c.fn([...form.keys()].join());
        });
        const form = (...entries: [string, string][]): FormData => {
          const data = new FormData();
          for (const [name, value] of entries) data.append(name, value);
          return data;
        };
        t.expect(await post(form(["q", "a"], ["page", "2"]))).toBe("q,page:1");
        t.expect(await post(form(["q", "a"], ["page", "2"]))).toBe("q,page:1");
        t.expect(await post(form(["q", "b"], ["page", "2"]))).toBe("q,page:2");
        t.expect(await post(form(["page", "2"], ["q", "a"]))).toBe("page,q:3");
        const upload = form(["name", "a"]);
        upload.append("file", new Blob(["x"]), "a.txt");
        expectCacheError(h, await rejection(() => post(upload)), h.lib.CacheArgumentError);
        t.expect(c.runs()).toBe(3);
        const len = cache.cached({ ttl: "10s", key: "n:{value:len}" })(async function count(value: unknown) {
          return typeof value;
        });
        const lengths: [unknown, string][] = [
          [new Blob(["abcd"]), "n:4"],
          [new Uint8Array(3).buffer, "n:3"],
          [form(["a", "1"], ["a", "2"]), "n:2"],
          [new URLSearchParams("a=1&b=2&c=3"), "n:3"],
          [new Headers({ a: "1" }), "n:1"],
          [new Map([[1, 2]]), "n:1"],
        ];
        for (const [value, key] of lengths) t.expect(await len.key(value)).toBe(key);
        expectCacheError(h, await rejection(() => len(42)), h.lib.CacheArgumentError);
      },
    );

    t.it('name replaces the function name and prefix: "v2" puts v2: in front', async () => {
      const cache = await h.open();
      const c = counted();
      const plain = cache.cached({ ttl: "10s" })(c.fn);
      const renamed = cache.cached({ ttl: "10s", name: "renamed" })(c.fn);
      const prefixed = cache.cached({ ttl: "10s", prefix: "v2" })(c.fn);
      const template = cache.cached({ ttl: "10s", prefix: "v2", key: "user:{id}" })(async function user(
        id: string,
      ) {
        return c.fn(id);
      });
      const renamedKey = await renamed.key("a");
      t.expect(renamedKey).toContain("renamed");
      t.expect(renamedKey).not.toContain("counter");
      t.expect(await prefixed.key("a")).toBe(`v2:${await plain.key("a")}`);
      t.expect(await template.key("1")).toBe("v2:user:1");
      t.expect(await template("1")).toBe("1:1");
      t.expect(await cache.get("v2:user:1")).toBe("1:1");
      t.expect(await cache.get("user:1", MISS)).toBe(MISS);
    });

    t.it("templates read named parameters, positions, dotted paths and formatters", async () => {
      const cache = await h.open();
      const c = counted();
      const user = cache.cached({ ttl: "10s", key: "user:{id}" })(async function getUser(id: string) {
        return c.fn(id);
      });
      const pair = cache.cached({ ttl: "10s", key: "pair:{0}:{1}" })(async function pair(
        a: string,
        b: string,
      ) {
        return `${a}${b}`;
      });
      const profile = cache.cached({ ttl: "10s", key: "profile:{user.profile.id}" })(
        async function profile(user: { profile: { id: number } }) {
          return user.profile.id;
        },
      );
      const lower = cache.cached({ ttl: "10s", key: "name:{name:lower}" })(async function byName(
        name: string,
      ) {
        return name;
      });
      const hashed = cache.cached({ ttl: "10s", key: "pw:{password:hash(sha256)}" })(async function login(
        password: string,
      ) {
        return password.length;
      });
      const jwt = cache.cached({ ttl: "10s", key: "sub:{token:jwt(sub)}" })(async function me(token: string) {
        return token.length;
      });
      const fnKey = cache.cached({ ttl: "10s", key: (id: number, kind: string) => `${kind}/${id}` })(
        async function byKind(id: number, kind: string) {
          return `${kind}${id}`;
        },
      );
      const token = `${base64Url('{"alg":"HS256","typ":"JWT"}')}.${base64Url('{"sub":"user-1","iat":1}')}.c2ln`;
      t.expect(await user.key("42")).toBe("user:42");
      t.expect(await pair.key("x", "y")).toBe("pair:x:y");
      t.expect(await profile.key({ profile: { id: 7 } })).toBe("profile:7");
      t.expect(await lower.key("MiXeD")).toBe("name:mixed");
      t.expect(await hashed.key("secret")).toBe(`pw:${await sha256Hex("secret")}`);
      t.expect(await jwt.key(token)).toBe("sub:user-1");
      t.expect(await fnKey.key(1, "k")).toBe("k/1");
      // The key is the one the value is stored under.
      t.expect(await user("42")).toBe("42:1");
      t.expect(await cache.get("user:42")).toBe("42:1");
      t.expect(await fnKey(1, "k")).toBe("k1");
      t.expect(await cache.get("k/1")).toBe("k1");
    });

    t.it("keyContext values reach templates that name a registered key context", async () => {
      h.lib.registerKeyContext("tenant");
      const cache = await h.open();
      const c = counted();
      const load = cache.cached({ ttl: "10s", key: "{tenant}:doc:{id}" })(async function loadDoc(id: string) {
        return c.fn(id);
      });
      await cache.keyContext({ tenant: "acme" }, async () => {
        t.expect(await load.key("1")).toBe("acme:doc:1");
        t.expect(await load("1")).toBe("1:1");
        t.expect(await load("1")).toBe("1:1");
      });
      await cache.keyContext({ tenant: "globex" }, async () => {
        t.expect(await load("1")).toBe("1:2");
      });
      t.expect(await cache.get("acme:doc:1")).toBe("1:1");
      t.expect(await cache.get("globex:doc:1")).toBe("1:2");
    });

    t.it("configuration errors are thrown when wrapping, not when calling", async () => {
      const cache = await h.open();
      const getUser = async function getUser(id: string) {
        return id;
      };
      const missing = thrown(() => cache.cached({ ttl: "10s", key: "user:{missing}" })(getUser));
      expectCacheError(h, missing, h.lib.CacheConfigError);
      t.expect((missing as Error).message).toContain("missing");
      const anonymous = named(async () => 1, "");
      expectCacheError(
        h,
        thrown(() => cache.cached({ ttl: "10s" })(anonymous)),
        h.lib.CacheConfigError,
      );
      // With a key or a name, an anonymous function is fine.
      t.expect(typeof cache.cached({ ttl: "10s", key: "one" })(anonymous)).toBe("function");
      t.expect(typeof cache.cached({ ttl: "10s", name: "one" })(anonymous)).toBe("function");
      expectCacheError(
        h,
        thrown(() => cache.cached({ ttl: -5 })(getUser)),
        h.lib.CacheConfigError,
      );
      expectCacheError(
        h,
        thrown(() => cache.cached({ ttl: "1.5x" })(getUser)),
        h.lib.CacheConfigError,
      );
      expectCacheError(
        h,
        thrown(() => cache.cached({ ttl: "10s", key: "{id:nope}" })(getUser)),
        h.lib.CacheConfigError,
      );
      expectCacheError(
        h,
        thrown(() => cache.cached({ ttl: "10s", key: "{id:hash(md4)}" })(getUser)),
        h.lib.CacheConfigError,
      );
    });

    t.it("a key template that renders an empty key rejects the call before it runs", async () => {
      const cache = await h.open();
      let runs = 0;
      const work = async function work(id: string) {
        runs++;
        return `ran ${id}`;
      };
      const wrappers = [
        cache.cached({ ttl: "10s", key: "{id}" })(work),
        cache.locked({ ttl: "10s", key: "{id}" })(work),
        cache.rateLimit({ limit: 5, period: "10s", key: "{id}" })(work),
        cache.early({ ttl: "10s", earlyTtl: "5s", key: "{id}" })(work),
      ];
      for (const wrapped of wrappers) {
        const error = await rejection(() => wrapped(""));
        expectCacheError(h, error, h.lib.CacheArgumentError);
        t.expect((error as Error).message).toContain('"{id}" rendered an empty key');
        expectCacheError(h, await rejection(() => wrapped.key("")), h.lib.CacheArgumentError);
      }
      t.expect(runs).toBe(0);
      // With fixed text or a prefix the key is not empty, and the call runs.
      t.expect(await cache.cached({ ttl: "10s", key: "{id}", prefix: "v2" })(work)("")).toBe("ran ");
      t.expect(await cache.get("v2:")).toBe("ran ");
      t.expect(runs).toBe(1);
    });

    t.it("a key with a lone surrogate rejects the call before it runs; default keys escape one", async () => {
      const cache = await h.open();
      let runs = 0;
      const work = async function work(id: string) {
        runs++;
        return `ran ${id.length}`;
      };
      // Redis, Upstash and KV would store "u:x\ud800" and "u:x\udc00" as one UTF-8 key.
      const wrappers = [
        cache.cached({ ttl: "10s", key: "u:{id}" })(work),
        cache.cached({ ttl: "10s", key: "{id}", prefix: "v2" })(work),
        cache.cached({ ttl: "10s", key: (id: string) => `fn:${id}` })(work),
        cache.locked({ ttl: "10s", key: "u:{id}" })(work),
      ];
      for (const wrapped of wrappers) {
        const error = await rejection(() => wrapped("x\ud800"));
        expectCacheError(h, error, h.lib.CacheArgumentError);
        t.expect((error as Error).message).toContain("lone surrogate");
      }
      t.expect(runs).toBe(0);
      // An emoji is whole, and a default key quotes the argument as JSON, which escapes a lone one.
      t.expect(await cache.cached({ ttl: "10s", key: "u:{id}" })(work)("x🙂")).toBe("ran 3");
      const plain = cache.cached({ ttl: "10s" })(work);
      t.expect(await plain("x\ud800")).toBe("ran 2");
      t.expect(await plain("x\udc00")).toBe("ran 2");
      t.expect(runs).toBe(3);
    });

    t.it("strategy options are checked when wrapping: unknown names and wrong types", async () => {
      const cache = await h.open();
      const work = async function work(id: string) {
        return id;
      };
      const refused: [string, () => unknown, RegExp][] = [
        [
          "a typo",
          () => cache.cached({ ttll: "1m" } as never)(work),
          /unknown option `ttll`.*did you mean `ttl`/,
        ],
        ["an unknown name", () => cache.cached({ retries: 3 } as never)(work), /unknown option `retries`/],
        [
          "a hit option on cached",
          () => cache.cached({ cacheHits: 3 } as never)(work),
          /unknown option `cacheHits`/,
        ],
        [
          "a typo on locked",
          () => cache.locked({ ttl: "1m", wiat: false } as never)(work),
          /did you mean `wait`/,
        ],
        [
          "a typo on rateLimit",
          () => cache.rateLimit({ limit: 1, period: "1s", perod: 1 } as never)(work),
          /did you mean `period`/,
        ],
        ["prefix: 5", () => cache.cached({ prefix: 5 } as never)(work), /`prefix` must be a string, got 5/],
        ["name: 3", () => cache.cached({ name: 3 } as never)(work), /`name` must be a string/],
        [
          'lock: "yes"',
          () => cache.cached({ lock: "yes" } as never)(work),
          /`lock` must be true or false, got "yes"/,
        ],
        ['tags: "items"', () => cache.cached({ tags: "items" } as never)(work), /`tags` must be an array/],
        [
          "tags: [1]",
          () => cache.cached({ tags: [1] } as never)(work),
          /`tags` must be an array of non-empty strings/,
        ],
        ["options: a string", () => cache.cached("1h" as never)(work), /options must be an object, got "1h"/],
      ];
      for (const [, wrap, message] of refused) {
        const error = thrown(wrap);
        expectCacheError(h, error, h.lib.CacheConfigError);
        t.expect((error as Error).message).toMatch(message);
      }
      // Every option each strategy documents is accepted.
      t.expect(
        typeof cache.cached({
          ttl: "1m",
          key: "{id}",
          prefix: "p",
          tags: ["t"],
          name: "n",
          lock: true,
          timeCondition: 0,
        })(work),
      ).toBe("function");
      t.expect(typeof cache.hit({ ttl: "1m", cacheHits: 3, updateAfter: 2 })(work)).toBe("function");
      t.expect(
        typeof cache.circuitBreaker({
          errorsRate: 50,
          period: "1m",
          ttl: "1s",
          halfOpenTtl: 0,
          minCalls: 2,
          exceptions: [Error],
          key: "{id}",
        } as never)(work),
      ).toBe("function");
      t.expect(
        typeof cache.sliceRateLimit({
          limit: 1,
          period: "1s",
          action: () => 0,
          prefix: "p",
          name: "n",
        } as never)(work),
      ).toBe("function");
    });

    t.it(
      "a key function that returns no non-empty string rejects the call with CacheArgumentError",
      async () => {
        const cache = await h.open();
        const bad: unknown[] = [5, undefined, null, {}, ""];
        let runs = 0;
        const work = async function work(_id: string) {
          runs++;
          return "ran";
        };
        for (const result of bad) {
          for (const key of [() => result, async () => result]) {
            const wrappers = [
              cache.cached({ ttl: "10s", key: key as () => string })(work),
              cache.locked({ ttl: "10s", key: key as () => string })(work),
              cache.rateLimit({ limit: 1, period: "10s", key: key as () => string })(work),
            ];
            for (const wrapped of wrappers) {
              // A rejected promise, never a synchronous throw: `.catch` on the call must see it.
              let call: Promise<unknown> | undefined;
              t.expect(() => {
                call = wrapped("a") as Promise<unknown>;
              }).not.toThrow();
              const error = await rejection(() => call as Promise<unknown>);
              expectCacheError(h, error, h.lib.CacheArgumentError);
              t.expect(error).toBeInstanceOf(TypeError);
              t.expect((error as Error).message).toContain("key");
              const keyed = wrapped.key("a");
              t.expect(keyed).toBeInstanceOf(Promise);
              expectCacheError(h, await rejection(() => keyed), h.lib.CacheArgumentError);
            }
          }
        }
        t.expect(runs).toBe(0);
        // A key function that throws, or a template whose formatter fails, rejects `.key` too.
        const throwing = cache.cached({
          ttl: "10s",
          key: () => {
            throw new RangeError("no key");
          },
        })(work);
        const keyed = throwing.key("a");
        t.expect(keyed).toBeInstanceOf(Promise);
        t.expect(await rejection(() => keyed)).toBeInstanceOf(RangeError);
        const jwt = cache.cached({ ttl: "10s", key: "sub:{token:jwt(sub)}" })(async function me(
          token: string,
        ) {
          return token;
        });
        const notJwt = jwt.key("not-a-token");
        t.expect(notJwt).toBeInstanceOf(Promise);
        const refused = await rejection(() => notJwt);
        expectCacheError(h, refused, h.lib.CacheArgumentError);
        t.expect((refused as Error).message).toMatch(/not a JWT/);
        t.expect((refused as Error).message).not.toContain("not-a-token");
        // A token without the claim would key every such caller alike: refused before the call runs.
        const anonymous = `${base64Url('{"alg":"HS256","typ":"JWT"}')}.${base64Url('{"iat":1}')}.c2ln`;
        const noClaim = await rejection(() => jwt(anonymous));
        expectCacheError(h, noClaim, h.lib.CacheArgumentError);
        t.expect((noClaim as Error).message).toContain('claim "sub"');
        t.expect(await cache.scan("sub:*")[Symbol.asyncIterator]().next()).toEqual({
          done: true,
          value: undefined,
        });
      },
    );

    t.it("the legacy decorator form (target, propertyKey, descriptor) gives a cached method", async () => {
      const cache = await h.open();
      class Repo {
        calls = 0;
        async find(id: string): Promise<string> {
          this.calls++;
          return `${id}:${this.calls}`;
        }
      }
      const descriptor = Object.getOwnPropertyDescriptor(Repo.prototype, "find") as PropertyDescriptor;
      const decorate = cache.cached({ ttl: "10s" }) as unknown as LegacyDecorator;
      const returned = decorate(Repo.prototype, "find", descriptor);
      Object.defineProperty(Repo.prototype, "find", returned ?? descriptor);
      const repo = new Repo();
      t.expect(await repo.find("a")).toBe("a:1");
      t.expect(await repo.find("a")).toBe("a:1");
      t.expect(await repo.find("b")).toBe("b:2");
      t.expect(repo.calls).toBe(2);
    });

    t.it("the TC39 decorator form (method, context) gives a cached method", async () => {
      const cache = await h.open();
      class Store {
        calls = 0;
        async find(id: string): Promise<string> {
          this.calls++;
          return `${id}:${this.calls}`;
        }
      }
      const initializers: ((this: unknown) => void)[] = [];
      const context = {
        kind: "method",
        name: "find",
        static: false,
        private: false,
        metadata: {},
        addInitializer(initializer: (this: unknown) => void) {
          initializers.push(initializer);
        },
        access: { has: (o: object) => "find" in o, get: (o: Store) => o.find },
      };
      const decorate = cache.cached({ ttl: "10s" }) as unknown as Tc39Decorator;
      const replaced = decorate(Store.prototype.find, context);
      // A TC39 method decorator returns the replacement, or undefined to keep the method.
      if (replaced !== undefined) Store.prototype.find = replaced as Store["find"];
      const store = new Store();
      for (const initializer of initializers) initializer.call(store);
      t.expect(await store.find("a")).toBe("a:1");
      t.expect(await store.find("a")).toBe("a:1");
      t.expect(await store.find("b")).toBe("b:2");
      t.expect(store.calls).toBe(2);
    });
  });
}
