import type {
  CatalogEntry,
  Coupon,
  Customer,
  Discount,
  ItemKind,
  NewItem,
  PaymentMethod,
  Receipt,
  Sale,
  Shot,
} from "../bindings";
import { isAppError } from "./errors";
import { formatMoney, fractionDigits, parseMoney } from "./money";

// The Sell screen's logic. The cart is a plain value changed by pure functions; Rust prices
// it: the cart's total is Rust's quote (`quote_sale`, the same code as `sell`, nothing
// written), and the receipt is what was recorded. Nothing here works out a price.

// ---- Idempotency keys ------------------------------------------------------------------

/** A fresh idempotency key (a UUID; `crypto.randomUUID` needs a secure context, so the
 * same from `getRandomValues` where it is missing). */
export function newKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Keys of commands on orders (pay, refund, void), one per scope such as `pay:<order>`: a
 * retry after a failure sends the same key (Rust replays the first result instead of
 * charging twice); success retires it, so the next payment on the order gets a new one. */
export class KeyRing {
  private readonly keys = new Map<string, string>();
  constructor(private readonly make: () => string = newKey) {}

  key(scope: string): string {
    let k = this.keys.get(scope);
    if (!k) {
      k = this.make();
      this.keys.set(scope, k);
    }
    return k;
  }

  done(scope: string): void {
    this.keys.delete(scope);
  }
}

/** The keys of order commands for this window (kept while screens come and go). */
export const orderKeys = new KeyRing();

/** Error kinds that say the command was refused and nothing was written. Anything else (a
 * store failure, a lost IPC call) may have been recorded: a retry must send the same key. */
const REFUSED = new Set(["sold_out", "coupon", "invalid", "no_event", "not_found"]);

export function wasRefused(e: unknown): boolean {
  return isAppError(e) && REFUSED.has(e.kind);
}

// ---- The cart --------------------------------------------------------------------------

export interface CartLine {
  itemId: string;
  qty: number;
}

export interface Cart {
  /** The sale's idempotency key: made with the cart, sent with every try of it, and
   * replaced only by the next cart (after a recorded sale, or when the cart is cleared). */
  readonly key: string;
  readonly lines: readonly CartLine[];
  /** Shot ids, in the order they were picked. */
  readonly shots: readonly string[];
  /** True after a try that failed without saying whether the sale was recorded. */
  readonly uncertain: boolean;
}

export function newCart(key: string = newKey()): Cart {
  return { key, lines: [], shots: [], uncertain: false };
}

export function qtyOf(cart: Cart, itemId: string): number {
  return cart.lines.find((l) => l.itemId === itemId)?.qty ?? 0;
}

export function unitCount(cart: Cart): number {
  return cart.lines.reduce((n, l) => n + l.qty, 0);
}

/** The currency of the cart (its first line's item), if it has lines. */
export function cartCurrency(cart: Cart, items: readonly CatalogEntry[]): string | null {
  for (const l of cart.lines) {
    const e = items.find((x) => x.item.id === l.itemId);
    if (e) return e.item.currency;
  }
  return null;
}

/** Why one more of `entry` cannot go into the cart, or null when it can. */
export function addProblem(cart: Cart, entry: CatalogEntry, items: readonly CatalogEntry[]): string | null {
  if (entry.left !== null) {
    if (entry.left <= 0) return "Sold out";
    if (qtyOf(cart, entry.item.id) >= entry.left) return `All ${entry.left} left are in the cart`;
  }
  const currency = cartCurrency(cart, items);
  if (currency !== null && currency !== entry.item.currency) return `The cart is in ${currency}; one order has one currency`;
  return null;
}

/** One more of `entry` (nothing changes when `addProblem` says no). */
export function addItem(cart: Cart, entry: CatalogEntry, items: readonly CatalogEntry[]): Cart {
  if (addProblem(cart, entry, items) !== null) return cart;
  const id = entry.item.id;
  const lines = cart.lines.some((l) => l.itemId === id)
    ? cart.lines.map((l) => (l.itemId === id ? { ...l, qty: l.qty + 1 } : l))
    : [...cart.lines, { itemId: id, qty: 1 }];
  return { ...cart, lines };
}

/** Sets a line's units (within `left` for a limited item); 0 or less removes the line. */
export function setQty(cart: Cart, itemId: string, qty: number, left: number | null = null): Cart {
  const n = Math.floor(left === null ? qty : Math.min(qty, left));
  if (!Number.isFinite(n) || n <= 0) return removeItem(cart, itemId);
  if (!cart.lines.some((l) => l.itemId === itemId)) return { ...cart, lines: [...cart.lines, { itemId, qty: n }] };
  return { ...cart, lines: cart.lines.map((l) => (l.itemId === itemId ? { ...l, qty: n } : l)) };
}

export function removeItem(cart: Cart, itemId: string): Cart {
  return { ...cart, lines: cart.lines.filter((l) => l.itemId !== itemId) };
}

export function toggleShot(cart: Cart, shotId: string): Cart {
  const shots = cart.shots.includes(shotId) ? cart.shots.filter((s) => s !== shotId) : [...cart.shots, shotId];
  return { ...cart, shots };
}

/** Picks `ids` (those already picked stay, in their place). */
export function pickShots(cart: Cart, ids: readonly string[]): Cart {
  return { ...cart, shots: [...cart.shots, ...ids.filter((id) => !cart.shots.includes(id))] };
}

export function clearShots(cart: Cart): Cart {
  return { ...cart, shots: [] };
}

/** The cart after a failed `sell`: the same lines and the same key (a retry must not sell
 * twice); flagged uncertain when the failure does not say that nothing was written. */
export function afterFailure(cart: Cart, e: unknown): Cart {
  return wasRefused(e) ? cart : { ...cart, uncertain: true };
}

// ---- The cart's quote -------------------------------------------------------------------

/** What a quote of the cart depends on: its lines, the coupon, the operator's discount and
 * the catalogue as last loaded (`rev`); the customer, the shots and the key change no price. */
export function quoteSig(sale: Sale, rev = 0): string {
  return JSON.stringify([sale.lines, sale.coupon ?? null, sale.discount ?? null, rev]);
}

/** Rust's price of the cart (`quote_sale`), or why it would refuse the sale. */
export type Quote = { ok: true; receipt: Receipt } | { ok: false; error: unknown };

/** A quote and the request (`quoteSig`) it answers. */
export interface Quoted {
  sig: string;
  quote: Quote;
}

/** The cart's quotes, where the latest request wins: an answer to an earlier request (the
 * cart changed meanwhile) is dropped, so what `settled` holds answers the last request
 * made. `onsettled` hears each kept answer (and `null` when cleared). */
export class LatestQuote {
  private seq = 0;
  private inflight: { seq: number; sig: string; answer: Promise<Quote> } | null = null;
  settled: Quoted | null = null;

  constructor(
    private readonly ask: (sale: Sale) => Promise<Receipt>,
    private readonly onsettled: (q: Quoted | null) => void = () => {},
  ) {}

  /** The quote of `sale`: the answer already kept or the request under way for the same
   * `sig`, else a new request (which makes any earlier one stale). `force` asks again. */
  request(sig: string, sale: Sale, force = false): Promise<Quote> {
    if (!force && this.inflight?.sig === sig) return this.inflight.answer;
    if (!force && this.settled?.sig === sig) {
      this.drop();
      return Promise.resolve(this.settled.quote);
    }
    const seq = ++this.seq;
    const answer = this.ask(sale).then(
      (receipt): Quote => ({ ok: true, receipt }),
      (error: unknown): Quote => ({ ok: false, error }),
    );
    this.inflight = { seq, sig, answer };
    void answer.then((quote) => {
      if (seq !== this.seq) return;
      this.inflight = null;
      this.settled = { sig, quote };
      this.onsettled(this.settled);
    });
    return answer;
  }

  /** The quote of the cart as it is once it is known: asks for `current()` (now, without
   * waiting for a debounce) and asks again if the cart changed while the answer was on its
   * way. For a payment tap, which must not be lost nor priced on a stale quote. */
  async current(current: () => { sig: string; sale: Sale }): Promise<Quoted> {
    for (;;) {
      const { sig, sale } = current();
      const quote = await this.request(sig, sale);
      if (current().sig === sig) return { sig, quote };
    }
  }

  /** Forgets every quote (an empty cart has none); answers still on their way are dropped. */
  clear(): void {
    this.drop();
    if (this.settled !== null) {
      this.settled = null;
      this.onsettled(null);
    }
  }

  private drop(): void {
    this.seq++;
    this.inflight = null;
  }
}

// ---- Building the sale -----------------------------------------------------------------

export interface CustomerForm {
  name: string;
  email: string;
  phone: string;
  /** When the marketing-consent box was ticked (ISO time), null when it is not. */
  consentAt: string | null;
}

export const emptyCustomer = (): CustomerForm => ({ name: "", email: "", phone: "", consentAt: null });

export function customerFrom(f: CustomerForm): Customer {
  const opt = (s: string) => (s.trim() === "" ? null : s.trim());
  return { name: f.name.trim() || "Guest", email: opt(f.email), phone: opt(f.phone), marketing_consent_at: f.consentAt };
}

export type DiscountKind = "none" | "percent" | "amount";

/** The operator's discount from its form: a percentage (up to two decimals) or an amount. */
export function parseDiscount(kind: DiscountKind, text: string, currency: string): { discount: Discount | null; error: string | null } {
  if (kind === "none" || text.trim() === "") return { discount: null, error: null };
  if (kind === "percent") {
    const bp = percentToBp(text);
    return bp === null || bp === 0 ? { discount: null, error: "A discount of more than 0 and up to 100%" } : { discount: { kind: "percent", bp }, error: null };
  }
  const minor = parseMoney(text, currency);
  return minor === null || minor === 0 ? { discount: null, error: `A discount amount in ${currency}, such as 2.50` } : { discount: { kind: "amount", minor }, error: null };
}

/** "12.5" (%) in basis points (1250), or null unless 0..100 with at most two decimals. */
export function percentToBp(text: string): number | null {
  const t = text.trim().replace(",", ".").replace(/%$/, "").trim();
  if (!/^\d+(\.\d{0,2})?$|^\.\d{1,2}$/.test(t)) return null;
  const bp = Math.round(Number(t) * 100);
  return bp <= 10_000 ? bp : null;
}

export type PayKind = "card" | "cash" | "link" | "comp";

/** The payment of a button. Cash: what was handed over, or exactly `exactMinor` (the total
 * of Rust's quote) when nothing was typed. References are the operator's, or empty. */
export function paymentMethod(kind: PayKind, opts: { reference?: string; tenderedMinor?: number | null; exactMinor: number }): PaymentMethod {
  switch (kind) {
    case "card":
      return { method: "card", reference: opts.reference?.trim() ?? "" };
    case "link":
      return { method: "payment_link", reference: opts.reference?.trim() ?? "" };
    case "cash":
      return { method: "cash", tendered_minor: opts.tenderedMinor ?? opts.exactMinor };
    case "comp":
      return { method: "complimentary" };
  }
}

/** Change to hand back for cash, or what it is short of the total (stays due). */
export function cashChange(tenderedMinor: number, totalMinor: number): { change: number; short: number } {
  return { change: Math.max(0, tenderedMinor - totalMinor), short: Math.max(0, totalMinor - tenderedMinor) };
}

export function buildSale(
  cart: Cart,
  opts: { customer: Customer; coupon?: string; discount?: Discount | null; payment: PaymentMethod | null },
): Sale {
  const coupon = opts.coupon?.trim() ?? "";
  return {
    idempotency_key: cart.key,
    customer: opts.customer,
    lines: cart.lines.map((l) => ({ item_id: l.itemId, qty: l.qty })),
    shots: [...cart.shots],
    coupon: coupon === "" ? null : coupon,
    discount: opts.discount ?? null,
    payment: opts.payment,
  };
}

// ---- Shots -----------------------------------------------------------------------------

/** The newest `n` shots, newest first (`editShots` lists them oldest first). */
export function recentShots(shots: readonly Shot[], n: number): Shot[] {
  return shots.slice(-n).reverse();
}

/** The shots of the newest capture session (the guest who just shot), oldest first. */
export function latestSession(shots: readonly Shot[]): string[] {
  if (shots.length === 0) return [];
  const newest = shots.reduce((a, b) => (b.taken_at > a.taken_at || (b.taken_at === a.taken_at && b.seq > a.seq) ? b : a));
  return shots.filter((s) => s.session_id === newest.session_id).map((s) => s.id);
}

// ---- Words for the screen --------------------------------------------------------------

/** The id of an item's tile (`item-<sku>`, spaces as dashes: ids have none). */
export function tileId(sku: string): string {
  return `item-${sku.trim().replace(/\s+/g, "-")}`;
}

/** "3 left", "Sold out", or nothing for unlimited items. */
export function leftText(left: number | null): string {
  if (left === null) return "";
  return left <= 0 ? "Sold out" : `${left} left`;
}

/** An order id as people read it out: its last 8 hex digits (UUID v7's first digits are
 * the time, alike for orders placed together). */
export function shortId(orderId: string): string {
  const hex = orderId.replace(/-/g, "");
  return hex.slice(-8).toUpperCase();
}

/** What kind of item it is, in a few words. */
export function kindText(k: ItemKind): string {
  switch (k.kind) {
    case "print":
      return `${k.size} print${k.copies > 1 ? ` ×${k.copies}` : ""}`;
    case "download":
      return `Download (${k.link_hours} h link)`;
    case "bundle":
      return `Bundle: ${k.skus.join(", ")}`;
    case "rsvp":
      return k.perks.length ? `RSVP: ${k.perks.join(", ")}` : "RSVP";
    case "pass":
      return `Pass, ${k.valid_days} ${k.valid_days === 1 ? "day" : "days"}`;
    case "drop":
      return "Limited drop";
  }
}

export function discountText(d: Discount, currency: string): string {
  return d.kind === "percent" ? `${d.bp / 100}%` : formatMoney(d.minor, currency);
}

/** What can be done to an order: pay what is due (open), refund what was paid, void an
 * unpaid open order (Rust refuses a void once anything was paid: refund first). */
export function orderActions(o: { status: string; paid_minor: number; due_minor: number }): { pay: boolean; refund: boolean; void: boolean } {
  return {
    pay: o.status === "open" && o.due_minor > 0,
    refund: o.status !== "void" && o.paid_minor > 0,
    void: o.status === "open" && o.paid_minor <= 0,
  };
}

/** What is due on an order of the recent list. */
export function dueOf(o: { status: string; total_minor: number; paid_minor: number }): number {
  return o.status === "open" ? Math.max(0, o.total_minor - o.paid_minor) : 0;
}

// ---- Catalogue forms -------------------------------------------------------------------

/** The currency most items are priced in, else EUR. */
export function defaultCurrency(items: readonly CatalogEntry[]): string {
  const n = new Map<string, number>();
  for (const e of items) n.set(e.item.currency, (n.get(e.item.currency) ?? 0) + 1);
  let best = "EUR";
  let most = 0;
  for (const [c, k] of n) if (k > most) [best, most] = [c, k];
  return best;
}

export type KindName = ItemKind["kind"];
export const KINDS: readonly KindName[] = ["print", "download", "bundle", "rsvp", "pass", "drop"];

export interface ItemForm {
  sku: string;
  name: string;
  kind: KindName;
  price: string;
  currency: string;
  /** Percent, e.g. "20" or "5.5". */
  taxPercent: string;
  inclusive: boolean;
  /** Empty: unlimited. */
  stock: string;
  size: string;
  copies: string;
  linkHours: string;
  /** Comma-separated. */
  skus: string;
  perks: string;
  validDays: string;
}

export const emptyItemForm = (currency: string): ItemForm => ({
  sku: "", name: "", kind: "print", price: "", currency, taxPercent: "0", inclusive: true, stock: "",
  size: "4x6", copies: "1", linkHours: "24", skus: "", perks: "", validDays: "1",
});

/** A whole number from a form field, or null unless `min` or more. */
export function parseCount(text: string, min = 0): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= 2_147_483_647 ? n : null;
}

const list = (s: string) => s.split(",").map((x) => x.trim()).filter((x) => x !== "");

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The catalogue entry the form describes, or what is wrong with it. */
export function newItemFrom(f: ItemForm): Parsed<NewItem> {
  const sku = f.sku.trim();
  const name = f.name.trim();
  const currency = f.currency.trim().toUpperCase();
  if (sku === "" || name === "") return { ok: false, error: "An item needs a SKU and a name" };
  if (!/^[A-Z]{3}$/.test(currency)) return { ok: false, error: `${currency || "An empty code"} is not a currency code such as EUR` };
  const price_minor = parseMoney(f.price, currency);
  if (price_minor === null) return { ok: false, error: `A price in ${currency}, such as 12.50` };
  const rate_bp = f.taxPercent.trim() === "" ? 0 : percentToBp(f.taxPercent);
  if (rate_bp === null) return { ok: false, error: "A tax rate of 0 to 100%" };
  let stock: number | null = null;
  if (f.stock.trim() !== "") {
    stock = parseCount(f.stock);
    if (stock === null) return { ok: false, error: "Stock is a whole number (empty: unlimited)" };
  }
  let kind: ItemKind;
  switch (f.kind) {
    case "print": {
      const copies = parseCount(f.copies, 1);
      if (f.size.trim() === "" || copies === null) return { ok: false, error: "A print needs a paper size and 1 or more copies" };
      kind = { kind: "print", size: f.size.trim(), copies };
      break;
    }
    case "download": {
      const link_hours = parseCount(f.linkHours, 1);
      if (link_hours === null) return { ok: false, error: "A download link lives 1 hour or more" };
      kind = { kind: "download", link_hours };
      break;
    }
    case "bundle": {
      const skus = list(f.skus);
      if (skus.length === 0) return { ok: false, error: "A bundle lists the SKUs it holds" };
      kind = { kind: "bundle", skus };
      break;
    }
    case "rsvp":
      kind = { kind: "rsvp", perks: list(f.perks) };
      break;
    case "pass": {
      const valid_days = parseCount(f.validDays, 1);
      if (valid_days === null) return { ok: false, error: "A pass is valid 1 day or more" };
      kind = { kind: "pass", valid_days };
      break;
    }
    case "drop":
      kind = { kind: "drop" };
      break;
  }
  return { ok: true, value: { sku, name, price_minor, currency, tax: { rate_bp, inclusive: f.inclusive }, stock, ...kind } };
}

export interface CouponForm {
  code: string;
  kind: "percent" | "amount";
  value: string;
  /** Empty: any number of orders. */
  maxUses: string;
  /** A `datetime-local` value (local time), empty: no end. */
  validUntil: string;
}

export const emptyCouponForm = (): CouponForm => ({ code: "", kind: "percent", value: "", maxUses: "", validUntil: "" });

export function couponFrom(f: CouponForm, currency: string): Parsed<Coupon> {
  const code = f.code.trim().toUpperCase();
  if (code === "" || /\s/.test(code)) return { ok: false, error: "A coupon code is one word, such as SUMMER10" };
  const { discount, error } = parseDiscount(f.kind, f.value, currency);
  if (!discount) return { ok: false, error: error ?? "A coupon needs a discount" };
  let max_uses: number | null = null;
  if (f.maxUses.trim() !== "") {
    max_uses = parseCount(f.maxUses, 1);
    if (max_uses === null) return { ok: false, error: "Uses is a whole number, 1 or more (empty: any number)" };
  }
  let valid_until: string | null = null;
  if (f.validUntil.trim() !== "") {
    const t = new Date(f.validUntil);
    if (Number.isNaN(t.getTime())) return { ok: false, error: "Valid until is not a date and time" };
    valid_until = t.toISOString();
  }
  return { ok: true, value: { code, discount, max_uses, valid_until } };
}

/** The price of an item as typed back into a form, e.g. for the currency's decimals hint. */
export function pricePlaceholder(currency: string): string {
  const d = fractionDigits(currency);
  return d === 0 ? "1200" : `12.${"5".padEnd(d, "0")}`;
}
