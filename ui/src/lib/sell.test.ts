import { describe, expect, it } from "vitest";
import type { CatalogEntry, Receipt, Sale, Shot } from "../bindings";
import {
  KeyRing,
  LatestQuote,
  addItem,
  addProblem,
  afterFailure,
  buildSale,
  cashChange,
  clearShots,
  couponFrom,
  customerFrom,
  defaultCurrency,
  dueOf,
  emptyCouponForm,
  emptyItemForm,
  kindText,
  latestSession,
  leftText,
  newCart,
  newItemFrom,
  newKey,
  orderActions,
  parseDiscount,
  paymentMethod,
  percentToBp,
  pickShots,
  qtyOf,
  quoteSig,
  recentShots,
  removeItem,
  setQty,
  shortId,
  tileId,
  toggleShot,
  unitCount,
  type Quoted,
} from "./sell";

const entry = (id: string, price_minor: number, left: number | null = null, currency = "EUR", rate_bp = 0, inclusive = true): CatalogEntry => ({
  item: { id, sku: id.toUpperCase(), name: `Item ${id}`, price_minor, currency, tax: { rate_bp, inclusive }, stock: left, kind: "print", size: "4x6", copies: 1 },
  left,
});

const shot = (id: string, session: string, taken_at: string, seq = 1): Shot => ({
  id, session_id: session, seq, taken_at, source: "test", width: 10, height: 10, file: "", sha256: "", bytes: 1,
});

describe("keys", () => {
  it("are UUIDs, new each time", () => {
    const a = newKey();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newKey()).not.toBe(a);
  });

  it("of order commands stay until the command succeeds", () => {
    let n = 0;
    const ring = new KeyRing(() => `k${++n}`);
    expect(ring.key("pay:A")).toBe("k1");
    expect(ring.key("pay:A")).toBe("k1"); // a retry after a failure
    expect(ring.key("refund:A")).toBe("k2");
    ring.done("pay:A");
    expect(ring.key("pay:A")).toBe("k3"); // the next payment on the order
  });
});

describe("the cart", () => {
  const items = [entry("a", 1200), entry("b", 300, 2), entry("c", 500, 0), entry("usd", 100, null, "USD")];
  const [a, b, c, usd] = items as [CatalogEntry, CatalogEntry, CatalogEntry, CatalogEntry];

  it("adds one unit per tap and merges lines", () => {
    let cart = newCart("k");
    cart = addItem(cart, a, items);
    cart = addItem(cart, b, items);
    cart = addItem(cart, a, items);
    expect(cart.lines).toEqual([{ itemId: "a", qty: 2 }, { itemId: "b", qty: 1 }]);
    expect(unitCount(cart)).toBe(3);
    expect(cart.key).toBe("k");
  });

  it("never takes more of a limited item than is left, nor a second currency", () => {
    let cart = newCart("k");
    expect(addProblem(cart, c, items)).toBe("Sold out");
    expect(addItem(cart, c, items)).toBe(cart);
    cart = addItem(addItem(addItem(cart, b, items), b, items), b, items);
    expect(qtyOf(cart, "b")).toBe(2);
    expect(addProblem(cart, b, items)).toBe("All 2 left are in the cart");
    expect(addProblem(cart, usd, items)).toMatch(/in EUR/);
    expect(addItem(cart, usd, items)).toBe(cart);
  });

  it("sets quantities within the stock and removes lines", () => {
    let cart = addItem(addItem(newCart("k"), a, items), b, items);
    cart = setQty(cart, "b", 5, 2);
    expect(qtyOf(cart, "b")).toBe(2);
    cart = setQty(cart, "a", 4);
    expect(qtyOf(cart, "a")).toBe(4);
    cart = setQty(cart, "a", 0);
    expect(cart.lines).toEqual([{ itemId: "b", qty: 2 }]);
    cart = removeItem(cart, "b");
    expect(cart.lines).toEqual([]);
    expect(cart.key).toBe("k");
  });

  it("toggles and picks shots", () => {
    let cart = toggleShot(newCart("k"), "s1");
    cart = toggleShot(cart, "s2");
    cart = toggleShot(cart, "s1");
    expect(cart.shots).toEqual(["s2"]);
    cart = pickShots(cart, ["s1", "s2", "s3"]);
    expect(cart.shots).toEqual(["s2", "s1", "s3"]);
    expect(clearShots(cart).shots).toEqual([]);
  });

  it("keeps its key after a failure, and flags a failure that may have been recorded", () => {
    const cart = addItem(newCart("k"), a, items);
    const refused = afterFailure(cart, { kind: "sold_out", message: "x is sold out" });
    expect(refused).toEqual(cart);
    const unknown = afterFailure(cart, new Error("IPC failed"));
    expect(unknown.key).toBe("k");
    expect(unknown.uncertain).toBe(true);
    expect(afterFailure(cart, { kind: "store", message: "the event database failed" }).uncertain).toBe(true);
    // The retry is the same sale: same key.
    const sale = (c: typeof cart) => buildSale(c, { customer: customerFrom({ name: "", email: "", phone: "", consentAt: null }), payment: null });
    expect(sale(unknown).idempotency_key).toBe(sale(cart).idempotency_key);
    // The next cart has a new one.
    expect(newCart().key).not.toBe("k");
  });
});

describe("the cart's quote", () => {
  const customer = customerFrom({ name: "", email: "", phone: "", consentAt: null });
  const sale = (qty: number, coupon = "", key = "k"): Sale => {
    const cart = setQty(newCart(key), "a", qty);
    return buildSale(cart, { customer, coupon, payment: null });
  };
  const receipt = (total_minor: number): Receipt => ({
    order_id: "o", lines: [], currency: "EUR", total_minor, tax_minor: 0, discount_minor: 0, paid_minor: 0, due_minor: total_minor,
    change_minor: 0, status: "open", link: null, replayed: false,
  });

  /** Quotes answered by hand, in any order: `answer(i)` settles the i-th request. */
  function manual() {
    const asked: { sale: Sale; ok: (r: Receipt) => void; fail: (e: unknown) => void }[] = [];
    const heard: (Quoted | null)[] = [];
    const quotes = new LatestQuote(
      (s) => new Promise<Receipt>((ok, fail) => asked.push({ sale: s, ok, fail })),
      (q) => heard.push(q),
    );
    return { quotes, asked, heard };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it("depends on lines, coupon, discount and the catalogue, not on the customer or key", () => {
    expect(quoteSig(sale(1, "", "k1"))).toBe(quoteSig(sale(1, " ", "k2")));
    expect(quoteSig({ ...sale(1), customer: { ...customer, name: "Ana" }, shots: ["s1"] })).toBe(quoteSig(sale(1)));
    expect(quoteSig(sale(2))).not.toBe(quoteSig(sale(1)));
    expect(quoteSig(sale(1, "SUMMER10"))).not.toBe(quoteSig(sale(1)));
    expect(quoteSig({ ...sale(1), discount: { kind: "percent", bp: 500 } })).not.toBe(quoteSig(sale(1)));
    expect(quoteSig(sale(1), 1)).not.toBe(quoteSig(sale(1), 0));
  });

  it("keeps only the answer to the latest request", async () => {
    const { quotes, asked, heard } = manual();
    const first = quotes.request("one", sale(1));
    void quotes.request("two", sale(2));
    expect(asked.map((a) => a.sale.lines[0]!.qty)).toEqual([1, 2]);
    asked[1]!.ok(receipt(2400));
    await tick();
    expect(quotes.settled).toEqual({ sig: "two", quote: { ok: true, receipt: receipt(2400) } });
    asked[0]!.ok(receipt(1200)); // late: the cart has changed since
    expect(await first).toEqual({ ok: true, receipt: receipt(1200) });
    await tick();
    expect(quotes.settled?.sig).toBe("two");
    expect(heard.map((h) => h?.sig)).toEqual(["two"]);
  });

  it("asks once per cart, and reuses a kept answer", async () => {
    const { quotes, asked } = manual();
    const a = quotes.request("one", sale(1));
    expect(quotes.request("one", sale(1))).toBe(a);
    asked[0]!.ok(receipt(1200));
    await a;
    expect(await quotes.request("one", sale(1))).toEqual({ ok: true, receipt: receipt(1200) });
    expect(asked).toHaveLength(1);
    void quotes.request("one", sale(1), true); // asked again on purpose
    expect(asked).toHaveLength(2);
  });

  it("goes back to a kept answer when the cart does, dropping the request in between", async () => {
    const { quotes, asked } = manual();
    void quotes.request("one", sale(1));
    asked[0]!.ok(receipt(1200));
    await tick();
    void quotes.request("two", sale(2));
    void quotes.request("one", sale(1));
    asked[1]!.ok(receipt(2400));
    await tick();
    expect(asked).toHaveLength(2);
    expect(quotes.settled?.sig).toBe("one");
  });

  it("keeps a refusal as the quote, with Rust's error", async () => {
    const { quotes, asked } = manual();
    const q = quotes.request("one", sale(1, "NOPE"));
    const refusal = { kind: "coupon", message: "NOPE is not a code of this event" };
    asked[0]!.fail(refusal);
    expect(await q).toEqual({ ok: false, error: refusal });
    expect(quotes.settled).toEqual({ sig: "one", quote: { ok: false, error: refusal } });
  });

  it("forgets everything when the cart is emptied", async () => {
    const { quotes, asked, heard } = manual();
    void quotes.request("one", sale(1));
    asked[0]!.ok(receipt(1200));
    await tick();
    void quotes.request("two", sale(2));
    quotes.clear();
    asked[1]!.ok(receipt(2400));
    await tick();
    expect(quotes.settled).toBeNull();
    expect(heard.map((h) => h?.sig ?? null)).toEqual(["one", null]);
  });

  it("gives a payment tap the quote of the cart as it is once answered", async () => {
    const { quotes, asked } = manual();
    let cart = { sig: "one", sale: sale(1) };
    void quotes.request("one", sale(1)); // the debounced request, still on its way
    const tap = quotes.current(() => cart);
    expect(asked).toHaveLength(1); // the tap waits for it rather than asking again
    cart = { sig: "two", sale: sale(2) }; // the cart changes meanwhile
    asked[0]!.ok(receipt(1200));
    await tick();
    expect(asked).toHaveLength(2); // so the tap asks for the cart as it is now
    asked[1]!.ok(receipt(2400));
    expect(await tap).toEqual({ sig: "two", quote: { ok: true, receipt: receipt(2400) } });
  });

  it("asks at once for a tap made before the debounced request", async () => {
    const { quotes, asked } = manual();
    const tap = quotes.current(() => ({ sig: "one", sale: sale(1) }));
    expect(asked).toHaveLength(1);
    asked[0]!.fail({ kind: "sold_out", message: "Poster is sold out (0 left)" });
    expect((await tap).quote.ok).toBe(false);
    // A quote already kept answers the next tap without asking.
    expect(await quotes.current(() => ({ sig: "one", sale: sale(1) }))).toMatchObject({ sig: "one", quote: { ok: false } });
    expect(asked).toHaveLength(1);
  });
});

describe("building the sale", () => {
  it("sends the cart's key, lines, shots, customer, coupon, discount and payment", () => {
    const items = [entry("a", 1200)];
    const cart = pickShots(addItem(addItem(newCart("key-1"), items[0]!, items), items[0]!, items), ["s1"]);
    const sale = buildSale(cart, {
      customer: customerFrom({ name: "  Ana ", email: " ana@example.org ", phone: "", consentAt: "2026-06-01T12:00:00.000Z" }),
      coupon: " summer10 ",
      discount: { kind: "percent", bp: 500 },
      payment: paymentMethod("card", { reference: " T-42 ", exactMinor: 2400 }),
    });
    expect(sale).toEqual({
      idempotency_key: "key-1",
      customer: { name: "Ana", email: "ana@example.org", phone: null, marketing_consent_at: "2026-06-01T12:00:00.000Z" },
      lines: [{ item_id: "a", qty: 2 }],
      shots: ["s1"],
      coupon: "summer10",
      discount: { kind: "percent", bp: 500 },
      payment: { method: "card", reference: "T-42" },
    });
  });

  it("names a customer Guest when no name is given, and leaves a blank coupon out", () => {
    const sale = buildSale(newCart("k"), { customer: customerFrom({ name: " ", email: "", phone: "", consentAt: null }), coupon: "  ", payment: null });
    expect(sale.customer).toEqual({ name: "Guest", email: null, phone: null, marketing_consent_at: null });
    expect(sale.coupon).toBeNull();
    expect(sale.discount).toBeNull();
    expect(sale.payment).toBeNull();
  });

  it("builds each payment button's method", () => {
    expect(paymentMethod("cash", { exactMinor: 1550 })).toEqual({ method: "cash", tendered_minor: 1550 });
    expect(paymentMethod("cash", { tenderedMinor: 2000, exactMinor: 1550 })).toEqual({ method: "cash", tendered_minor: 2000 });
    expect(paymentMethod("card", { exactMinor: 1 })).toEqual({ method: "card", reference: "" });
    expect(paymentMethod("link", { reference: "pl_1", exactMinor: 1 })).toEqual({ method: "payment_link", reference: "pl_1" });
    expect(paymentMethod("comp", { exactMinor: 1 })).toEqual({ method: "complimentary" });
    expect(cashChange(2000, 1550)).toEqual({ change: 450, short: 0 });
    expect(cashChange(1000, 1550)).toEqual({ change: 0, short: 550 });
  });

  it("reads the operator's discount", () => {
    expect(parseDiscount("none", "10", "EUR")).toEqual({ discount: null, error: null });
    expect(parseDiscount("percent", "", "EUR")).toEqual({ discount: null, error: null });
    expect(parseDiscount("percent", "12,5", "EUR").discount).toEqual({ kind: "percent", bp: 1250 });
    expect(parseDiscount("percent", "101", "EUR").error).toMatch(/100%/);
    expect(parseDiscount("amount", "2.50", "EUR").discount).toEqual({ kind: "amount", minor: 250 });
    expect(parseDiscount("amount", "500", "JPY").discount).toEqual({ kind: "amount", minor: 500 });
    expect(parseDiscount("amount", "x", "EUR").error).toMatch(/EUR/);
    expect(percentToBp("20")).toBe(2000);
    expect(percentToBp("5.5%")).toBe(550);
    expect(percentToBp("0.125")).toBeNull();
    expect(percentToBp("-1")).toBeNull();
  });
});

describe("shots", () => {
  const shots = [shot("a", "s1", "2026-06-01T10:00:00Z"), shot("b", "s1", "2026-06-01T10:00:02Z", 2), shot("c", "s2", "2026-06-01T10:05:00Z"), shot("d", "s2", "2026-06-01T10:05:02Z", 2)];

  it("shows the newest first", () => {
    expect(recentShots(shots, 3).map((s) => s.id)).toEqual(["d", "c", "b"]);
  });

  it("finds the newest session's shots", () => {
    expect(latestSession(shots)).toEqual(["c", "d"]);
    expect(latestSession([])).toEqual([]);
  });
});

describe("words", () => {
  it("names tiles, stock, orders and kinds", () => {
    expect(tileId("PRINT-4x6")).toBe("item-PRINT-4x6");
    expect(tileId("gift card")).toBe("item-gift-card");
    expect(leftText(null)).toBe("");
    expect(leftText(3)).toBe("3 left");
    expect(leftText(0)).toBe("Sold out");
    expect(shortId("019a6b1e-7c3d-7e55-9a1b-4c2d8e9f0a1b")).toBe("8E9F0A1B");
    expect(kindText({ kind: "print", size: "5x7", copies: 2 })).toBe("5x7 print ×2");
    expect(kindText({ kind: "download", link_hours: 24 })).toBe("Download (24 h link)");
    expect(kindText({ kind: "pass", valid_days: 1 })).toBe("Pass, 1 day");
    expect(kindText({ kind: "drop" })).toBe("Limited drop");
  });

  it("offers what each order allows", () => {
    expect(orderActions({ status: "open", paid_minor: 0, due_minor: 500 })).toEqual({ pay: true, refund: false, void: true });
    expect(orderActions({ status: "open", paid_minor: 200, due_minor: 300 })).toEqual({ pay: true, refund: true, void: false });
    expect(orderActions({ status: "paid", paid_minor: 500, due_minor: 0 })).toEqual({ pay: false, refund: true, void: false });
    expect(orderActions({ status: "void", paid_minor: 0, due_minor: 0 })).toEqual({ pay: false, refund: false, void: false });
    expect(orderActions({ status: "refunded", paid_minor: 0, due_minor: 0 })).toEqual({ pay: false, refund: false, void: false });
    expect(dueOf({ status: "open", total_minor: 500, paid_minor: 200 })).toBe(300);
    expect(dueOf({ status: "paid", total_minor: 500, paid_minor: 500 })).toBe(0);
  });
});

describe("catalogue forms", () => {
  it("takes the usual currency, else EUR", () => {
    expect(defaultCurrency([])).toBe("EUR");
    expect(defaultCurrency([entry("a", 1, null, "GBP"), entry("b", 1, null, "USD"), entry("c", 1, null, "USD")])).toBe("USD");
  });

  it("builds a new item of each kind", () => {
    const f = { ...emptyItemForm("eur"), sku: " P46 ", name: "Print 4x6", price: "12,50", taxPercent: "20", stock: "" };
    expect(newItemFrom(f)).toEqual({
      ok: true,
      value: { sku: "P46", name: "Print 4x6", price_minor: 1250, currency: "EUR", tax: { rate_bp: 2000, inclusive: true }, stock: null, kind: "print", size: "4x6", copies: 1 },
    });
    const kind = (k: Partial<typeof f>) => {
      const r = newItemFrom({ ...f, ...k });
      return r.ok ? r.value : r.error;
    };
    expect(kind({ kind: "download", linkHours: "48" })).toMatchObject({ kind: "download", link_hours: 48 });
    expect(kind({ kind: "bundle", skus: "P46, DL ,," })).toMatchObject({ kind: "bundle", skus: ["P46", "DL"] });
    expect(kind({ kind: "rsvp", perks: "a bundled print", stock: "40" })).toMatchObject({ kind: "rsvp", perks: ["a bundled print"], stock: 40 });
    expect(kind({ kind: "pass", validDays: "3" })).toMatchObject({ kind: "pass", valid_days: 3 });
    expect(kind({ kind: "drop", stock: "25" })).toMatchObject({ kind: "drop", stock: 25 });
  });

  it("says what is wrong with an item", () => {
    const f = { ...emptyItemForm("EUR"), sku: "X", name: "X", price: "1" };
    const error = (k: Partial<typeof f>) => {
      const r = newItemFrom({ ...f, ...k });
      return r.ok ? null : r.error;
    };
    expect(error({})).toBeNull();
    expect(error({ sku: " " })).toMatch(/SKU/);
    expect(error({ currency: "EURO" })).toMatch(/currency/);
    expect(error({ price: "abc" })).toMatch(/price/);
    expect(error({ taxPercent: "120" })).toMatch(/tax/);
    expect(error({ stock: "-1" })).toMatch(/Stock/);
    expect(error({ kind: "bundle", skus: "" })).toMatch(/bundle/);
    expect(error({ kind: "print", copies: "0" })).toMatch(/copies/);
  });

  it("builds a coupon", () => {
    const f = { ...emptyCouponForm(), code: " summer10 ", value: "10" };
    expect(couponFrom(f, "EUR")).toEqual({ ok: true, value: { code: "SUMMER10", discount: { kind: "percent", bp: 1000 }, max_uses: null, valid_until: null } });
    const r = couponFrom({ ...f, kind: "amount", value: "5", maxUses: "100", validUntil: "2026-06-01T18:00" }, "EUR");
    expect(r.ok && r.value.discount).toEqual({ kind: "amount", minor: 500 });
    expect(r.ok && r.value.max_uses).toBe(100);
    expect(r.ok && r.value.valid_until).toBe(new Date("2026-06-01T18:00").toISOString());
    expect(couponFrom({ ...f, code: "two words" }, "EUR").ok).toBe(false);
    expect(couponFrom({ ...f, value: "" }, "EUR").ok).toBe(false);
    expect(couponFrom({ ...f, maxUses: "0" }, "EUR").ok).toBe(false);
  });
});
