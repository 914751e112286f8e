import type { Harness } from "./basic-harness";
import type { RegisterType } from "./types";

/** The custom class of the registerType test; encoded as plain text fields, which any codec carries. */
class Money {
  constructor(
    readonly cents: bigint,
    readonly currency: string,
  ) {}
  format(): string {
    return `${this.cents} ${this.currency}`;
  }
}

/** SPEC 4 custom classes: `registerType(Class, encode, decode)`. */
export function customTypeTests(h: Harness): void {
  const { t } = h;

  t.describe("registerType", () => {
    t.it("round-trips a registered custom class, alone and nested", async () => {
      registerMoney(h);
      const c = await h.open();
      const price = new Money(1999n, "EUR");
      await c.set("one", price);
      await c.set("nested", { wallet: [price, new Money(-5n, "USD")], total: new Map([["EUR", price]]) });
      const got = await c.get("one");
      t.expect(got).toBeInstanceOf(Money);
      t.expect((got as Money).format()).toBe("1999 EUR");
      const nested = (await c.get("nested")) as { wallet: Money[]; total: Map<string, Money> };
      t.expect(nested.wallet.map((money) => money instanceof Money)).toEqual([true, true]);
      t.expect(nested.wallet.map((money) => money.format())).toEqual(["1999 EUR", "-5 USD"]);
      t.expect(nested.total.get("EUR")).toBeInstanceOf(Money);
    });
  });
}

// Registered once per entry module: SPEC 4 leaves re-registering a class unspecified, and one
// test file may run the suite for several targets against the same entry.
const registered = new WeakSet<object>();

function registerMoney(h: Harness): void {
  if (registered.has(h.lib)) return;
  (h.lib.registerType as RegisterType)(
    Money,
    (money: Money) => ({ cents: money.cents.toString(), currency: money.currency }),
    (data) => {
      const fields = data as { cents: string; currency: string };
      return new Money(BigInt(fields.cents), fields.currency);
    },
  );
  registered.add(h.lib);
}
