import { describe, expect, it } from "vitest";
import { CacheArgumentError, CacheConfigError, CacheError } from "../../src/core/errors";
import { registerFormatter, registerTypeFormatter } from "../../src/keys/formatters";
import { registerKeyContext } from "../../src/keys/key-context";
import { parameterInfo } from "../../src/keys/params";
import { compileKey, defaultKey, templateToGlob } from "../../src/keys/template";

/** A JWT with the given payload; header and signature are never checked. */
function jwt(payload: object): string {
  const encode = (value: object) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(payload)}.c2lnbmF0dXJl`;
}

function configError(run: () => unknown): CacheConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CacheConfigError);
    expect((error as CacheConfigError).message).toMatch(/^\[isocache\] \[key\] .+: .+/);
    return error as CacheConfigError;
  }
  throw new Error("expected a CacheConfigError");
}

describe("compileKey placeholders", () => {
  async function getUser(id: string, opts?: { page?: number; profile?: { id: number } }) {
    return [id, opts];
  }
  const params = parameterInfo(getUser);

  it("resolves named parameters, positions and dotted paths", () => {
    expect(compileKey("user:{id}", params)(["42"])).toBe("user:42");
    expect(compileKey("user:{0}:{1.page}", params)(["42", { page: 3 }])).toBe("user:42:3");
    expect(compileKey("{opts.profile.id}", params)(["1", { profile: { id: 9 } }])).toBe("9");
    expect(compileKey("p{opts.profile.id}p", params)(["1"])).toBe("pp");
    expect(compileKey("p{opts.missing.deep}p", params)(["1", {}])).toBe("pp");
  });

  it("renders a bare placeholder of any argument type as it does inside a template", () => {
    const when = new Date("2026-01-02T03:04:05.000Z");
    for (const template of ["{0}", "{id}"]) {
      const bare = compileKey(template, params);
      const framed = compileKey(`<${template}>`, params);
      for (const value of ["42", 42, -0.5, true, 7n, null, undefined, when, { b: 1, a: [2] }, ["x"]]) {
        expect(`<${bare([value])}>`).toBe(framed([value]));
      }
      expect(bare(["42"])).toBe("42");
      expect(bare([when])).toBe("2026-01-02T03:04:05.000Z");
      expect(bare([undefined])).toBe("");
    }
  });

  it("returns a synchronous function and a constant for templates without placeholders", () => {
    const key = compileKey("user:{id}", params);
    expect(key.async).toBe(false);
    expect(key.usesContext).toBe(false);
    expect(key.template).toBe("user:{id}");
    expect(compileKey("static", params)(["x"])).toBe("static");
  });

  it("renders values by type: null and undefined differ, objects render stably", () => {
    const key = compileKey("{0}|{1}", ["a", "b"]);
    expect(key([null, undefined])).toBe("null|");
    expect(key([1n, true])).toBe("1|true");
    expect(key([{ b: 2, a: 1 }, [1, "1"]])).toBe('{"a":1,"b":2}|[1,"1"]');
    expect(key([new Date(0), 0])).toBe("1970-01-01T00:00:00.000Z|0");
  });

  it("sees undefined for an omitted argument even when the parameter has a default", () => {
    function page(n = 1) {
      return n;
    }
    expect(compileKey("page:{n}", parameterInfo(page))([])).toBe("page:");
  });

  it("resolves a rest parameter to the array of remaining arguments and allows any position", () => {
    const fn = (first: string, ...more: number[]) => [first, more];
    const info = parameterInfo(fn);
    expect(compileKey("{first}:{more}:{more.1}:{3}", info)(["a", 1, 2, 3])).toBe("a:[1,2,3]:2:3");
    expect(compileKey("{2}", ["x", "rest"], { rest: true })(["a", "b", "c"])).toBe("c");
  });

  it("reads a destructured parameter by position", () => {
    const fn = ({ id }: { id: number }, flag: boolean) => [id, flag];
    expect(compileKey("{0.id}:{flag}", parameterInfo(fn))([{ id: 5 }, true])).toBe("5:true");
  });

  it("turns {{ and }} into literal braces", () => {
    expect(compileKey("{{x}}:{0}:}}", ["a"])(["v"])).toBe("{x}:v:}");
  });

  it("reads Map entries on a dotted path", () => {
    expect(compileKey("{0.k}", ["m"])([new Map([["k", "v"]])])).toBe("v");
  });
});

describe("compileKey formatters", () => {
  it("applies lower, upper and len", () => {
    const key = compileKey("{0:lower}:{1:upper}:{2:len}", ["a", "b", "c"]);
    expect(key(["AbC", "dEf", [1, 2, 3]])).toBe("abc:DEF:3");
    const len = compileKey("{0:len}", ["v"]);
    expect([
      len(["four"]),
      len([new Map([[1, 2]])]),
      len([new Set([1, 2])]),
      len([{ a: 1, b: 2 }]),
      len([undefined]),
    ]).toEqual(["4", "1", "2", "2", "0"]);
  });

  it("len counts what each kind holds: bytes, entries, elements, keys", () => {
    const len = compileKey("{0:len}", ["v"]);
    const form = new FormData();
    form.append("a", "1");
    form.append("a", "2");
    form.append("b", "3");
    class Bag {
      readonly #items = [1, 2, 3];
      get size(): number {
        return this.#items.length;
      }
    }
    const cases: [unknown, string][] = [
      ["four", "4"],
      [[1, 2, 3], "3"],
      [new Uint16Array(3), "3"],
      [new DataView(new ArrayBuffer(6)), "6"],
      [new ArrayBuffer(5), "5"],
      [new Blob(["abcd"]), "4"],
      [new File(["abcdef"], "a.txt"), "6"],
      [new Map([[1, 2]]), "1"],
      [new Set([1, 2]), "2"],
      [form, "3"],
      [new URLSearchParams("a=1&b=2"), "2"],
      [new Headers({ a: "1", b: "2", c: "3" }), "3"],
      [{ a: 1, b: 2 }, "2"],
      [{ length: 9 }, "1"],
      [new Bag(), "3"],
      [null, "0"],
      [undefined, "0"],
    ];
    for (const [value, expected] of cases) expect(len([value])).toBe(expected);
  });

  it("len refuses a value that has no length instead of counting the characters of its text", () => {
    const len = compileKey("{n:len}", ["n"]);
    const values = [
      12345,
      true,
      1n,
      Symbol.for("s"),
      () => 1,
      new Date(0),
      Promise.resolve(1),
      new WeakMap(),
    ];
    for (const value of values) {
      let caught: unknown;
      try {
        len([value]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CacheArgumentError);
      expect((caught as Error).message).toMatch(/^\[isocache\] \[key\] .*\{n:len\}.*: .+/);
    }
  });

  it("chains formatters left to right", () => {
    expect(compileKey("{0:upper:len}", ["s"])(["abc"])).toBe("3");
    expect(compileKey("{0.name:lower}", ["u"])([{ name: "ANN" }])).toBe("ann");
  });

  it("hashes asynchronously with Web Crypto", async () => {
    const key = compileKey("pw:{password:hash(sha256)}", ["password"]);
    expect(key.async).toBe(true);
    const result = key(["abc"]);
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe("pw:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await compileKey("{0:hash(sha1)}", ["x"])(["abc"])).toBe(
      "a9993e364706816aba3e25717850c26c9cd0d89d",
    );
    expect(await compileKey("{0:hash(SHA-512)}", ["x"])(["abc"])).toMatch(/^ddaf35a193617aba[0-9a-f]{112}$/);
    expect(await compileKey("{0:hash}", ["x"])(["abc"])).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(await compileKey("{0:hash:len}", ["x"])(["abc"])).toBe("64");
  });

  it("keeps literals and other placeholders in order around an async part", async () => {
    const key = compileKey("a:{0:lower}:{1:hash(sha1)}:{2}:z", ["x", "y", "z"]);
    expect(await key(["Q", "abc", 7])).toBe("a:q:a9993e364706816aba3e25717850c26c9cd0d89d:7:z");
  });

  it("reads a JWT claim without verifying, nested claims too", () => {
    const token = jwt({ sub: "user-1", org: { id: 7 }, name: "Zoë" });
    expect(compileKey("{token:jwt(sub)}", ["token"])([token])).toBe("user-1");
    expect(compileKey("{0:jwt(org.id)}", ["token"])([`Bearer ${token}`])).toBe("7");
    expect(compileKey("{0:jwt(name):lower}", ["token"])([token])).toBe("zoë");
  });

  it("refuses a JWT that lacks the claim, or has it null, naming the claim: such tokens would share one key", () => {
    const key = compileKey("{0:jwt(sub)}", ["token"]);
    const nested = compileKey("{0:jwt(org.id)}", ["token"]);
    const inherited = compileKey("{0:jwt(constructor)}", ["token"]);
    const cases: [typeof key, string, string][] = [
      [key, "sub", jwt({ name: "no sub" })],
      [key, "sub", jwt({ sub: null })],
      [key, "sub", jwt({ nested: { sub: "x" } })],
      [nested, "org.id", jwt({ sub: "user-1" })],
      [nested, "org.id", jwt({ org: null })],
      [nested, "org.id", jwt({ org: "acme" })],
      [nested, "org.id", jwt({ org: { name: "acme" } })],
      [nested, "org.id", jwt({ org: { id: null } })],
      [inherited, "constructor", jwt({ sub: "user-1" })],
    ];
    for (const [compiled, claim, token] of cases) {
      let caught: unknown;
      try {
        compiled([token]);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CacheArgumentError);
      const message = (caught as Error).message;
      expect(message).toMatch(/^\[isocache\] \[key\] .+: .+/);
      expect(message).toContain(`claim "${claim}"`);
      expect(message).not.toContain(token);
    }
    // A claim that is there renders whatever its value: false, 0 and "" are values the issuer chose.
    expect(key([jwt({ sub: 0 })])).toBe("0");
    expect(key([jwt({ sub: false })])).toBe("false");
    expect(key([jwt({ sub: "" })])).toBe("");
    expect(nested([jwt({ org: { id: 7 } })])).toBe("7");
  });

  it("throws a CacheError at call time for a malformed JWT, without echoing it", () => {
    const key = compileKey("{0:jwt(sub)}", ["token"]);
    for (const bad of ["not-a-token", "a.!!!.c", `x.${btoa("not json")}.y`, undefined, 42]) {
      let caught: unknown;
      try {
        key([bad]);
      } catch (error) {
        caught = error;
      }
      expect(CacheError.is(caught)).toBe(true);
      expect(caught).not.toBeInstanceOf(CacheConfigError);
      expect((caught as Error).message).not.toContain("not-a-token");
    }
  });

  it("uses registered formatters with arguments, sync and async", async () => {
    registerFormatter("pad", (value, width = "4", fill = "0") => String(value).padStart(Number(width), fill));
    expect(compileKey("{0:pad(6, x)}", ["n"])([42])).toBe("xxxx42");
    expect(compileKey("{0:pad}", ["n"])([7])).toBe("0007");
    registerFormatter("later", async (value) => `<${String(value)}>`);
    const key = compileKey("{0:later}", ["n"]);
    expect(key.async).toBe(true);
    expect(await key([1])).toBe("<1>");
    registerFormatter("sneaky", (value) => Promise.resolve(`(${String(value)})`));
    expect(await compileKey("{0:sneaky}:{0}", ["n"])([2])).toBe("(2):2");
  });

  it("renders registered types with their type formatter, most recent first", () => {
    class Money {
      constructor(
        readonly cents: number,
        readonly currency: string,
      ) {}
    }
    class Euro extends Money {}
    registerTypeFormatter(Money, (m) => `${m.cents}${m.currency}`);
    registerTypeFormatter(Euro, (m) => `€${m.cents}`);
    const key = compileKey("{0}|{1}|{2}", ["a", "b", "c"]);
    expect(key([new Money(5, "USD"), new Euro(3, "EUR"), [new Money(1, "X")]])).toBe('5USD|€3|[Money("1X")]');
  });
});

describe("compileKey values a key cannot tell apart", () => {
  class Session {
    readonly #user: string;
    constructor(user: string) {
      this.#user = user;
    }
    get user(): string {
      return this.#user;
    }
  }

  it("refuses them in a placeholder, a path, and through formatters, as the automatic key does", async () => {
    const key = compileKey("{0}", ["x"]);
    const field = compileKey("u:{0.upload}", ["x"]);
    const lower = compileKey("u:{0:lower}", ["x"]);
    for (const value of [new Blob(["a"]), new Session("ann"), () => 1, Symbol("s")]) {
      expect(() => key([value])).toThrow(CacheArgumentError);
      expect(() => field([{ upload: value }])).toThrow(CacheArgumentError);
      expect(() => lower([value])).toThrow(CacheArgumentError);
      expect(() => defaultKey("f", [value])).toThrow(CacheArgumentError);
      await expect(compileKey("{0:hash}", ["x"])([value])).rejects.toThrow(CacheArgumentError);
    }
    // What does tell them apart, named in the template, is fine.
    expect(compileKey("u:{0.user}", ["session"])([new Session("ann")])).toBe("u:ann");
    expect(compileKey("f:{0.name}", ["fn"])([function load() {}])).toBe("f:load");
    expect(compileKey("s:{0.description}", ["s"])([Symbol("x")])).toBe("s:x");
    expect(compileKey("b:{0.size}", ["b"])([new Blob(["abc"])])).toBe("b:3");
  });
});

describe("compileKey key context", () => {
  it("reads registered context names and dotted paths from the context argument", () => {
    registerKeyContext("tenant");
    registerKeyContext("request");
    const key = compileKey("{tenant}:{request.user.id}:{id}", ["id"]);
    expect(key.usesContext).toBe(true);
    expect(key(["7"], { tenant: "acme", request: { user: { id: 3 } } })).toBe("acme:3:7");
    expect(key(["7"])).toBe("::7");
  });

  it("lets a parameter shadow a context name", () => {
    registerKeyContext("tenant");
    const key = compileKey("{tenant}", ["tenant"]);
    expect(key.usesContext).toBe(false);
    expect(key(["param"], { tenant: "ctx" })).toBe("param");
  });

  it("rejects invalid context names", () => {
    configError(() => registerKeyContext("not valid"));
  });
});

describe("compileKey errors at compile time", () => {
  function getUser(id: string, opts: object) {
    return [id, opts];
  }
  const info = parameterInfo(getUser);

  it("names the placeholder and the function's parameters for an unknown name", () => {
    const error = configError(() => compileKey("user:{uid}", info, { name: "getUser" }));
    expect(error.message).toContain("{uid}");
    expect(error.message).toContain("getUser(id, opts)");
    expect(error.message).toContain('registerKeyContext("uid")');
  });

  it("rejects unknown formatters and bad formatter arguments", () => {
    expect(configError(() => compileKey("{id:nope}", info)).message).toContain('unknown formatter "nope"');
    expect(configError(() => compileKey("{id:hash(md5)}", info)).message).toContain("hash(md5)");
    configError(() => compileKey("{id:jwt}", info));
    configError(() => compileKey("{id:lower(x)}", info));
    configError(() => compileKey("{id:bad name}", info));
  });

  it("rejects positions past the parameters unless there is a rest parameter or names are unknown", () => {
    expect(configError(() => compileKey("{2}", info, { name: "getUser" })).message).toContain("{2}");
    expect(compileKey("{5}", parameterInfo(getUser.bind(null)))([0, 1, 2, 3, 4, 5])).toBe("5");
    configError(() => compileKey("{id}", parameterInfo(getUser.bind(null))));
  });

  it("rejects malformed templates", () => {
    configError(() => compileKey("", info));
    configError(() => compileKey("user:{id", info));
    configError(() => compileKey("user:id}", info));
    configError(() => compileKey("user:{}", info));
    configError(() => compileKey("user:{id.}", info));
    configError(() => compileKey("user:{a{id}}", info));
  });

  it("rejects a template with a lone surrogate when compiling, for keys and globs alike", () => {
    expect(configError(() => compileKey("user\ud800:{id}", info)).message).toContain("lone surrogate");
    configError(() => compileKey("{id}\udc00", info));
    configError(() => templateToGlob("user:{id}\ud83d"));
    expect(compileKey("🙂:{id}", info)(["1"])).toBe("🙂:1");
  });
});

describe("defaultKey and templateToGlob", () => {
  it("builds the automatic key from the name and the stable rendering of the arguments", () => {
    expect(defaultKey("getUser", [42, { b: 1, a: 2 }])).toBe('getUser:42,{"a":2,"b":1}');
    expect(defaultKey("getUser", ["42"])).not.toBe(defaultKey("getUser", [42]));
    expect(defaultKey("ping", [])).toBe("ping:");
  });

  it("turns placeholders into * and escapes glob metacharacters", () => {
    expect(templateToGlob("user:{id}")).toBe("user:*");
    expect(templateToGlob("a{x}{y:lower}b")).toBe("a*b");
    expect(templateToGlob("q?[{id}]*\\")).toBe("q\\?\\[*\\]\\*\\\\");
    expect(templateToGlob("{{lit}}:{0}")).toBe("{lit}:*");
    configError(() => templateToGlob("user:{id"));
  });
});
