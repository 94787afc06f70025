// Money in the UI: integer minor units (cents) of an ISO 4217 currency, as Rust keeps it.
// Formatting and parsing live here once, for the Sell screen and the Dashboard alike.

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale?: string): Intl.NumberFormat | null {
  const key = `${locale ?? ""}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(locale, { style: "currency", currency });
    } catch {
      return null; // not a currency code Intl knows
    }
    formatters.set(key, f);
  }
  return f;
}

/** Digits after the decimal point of `currency` (2 for EUR, 0 for JPY, 3 for KWD); 2 for
 * a code Intl does not know. */
export function fractionDigits(currency: string): number {
  return formatter(currency)?.resolvedOptions().maximumFractionDigits ?? 2;
}

/** `minor` units of `currency` in major units (1250 EUR cents: 12.5). */
export function toMajor(minor: number, currency: string): number {
  return minor / 10 ** fractionDigits(currency);
}

/** "€12.50" (as the locale writes it) for 1250 EUR cents. A code Intl does not know is
 * written after the number: "12.50 XYZ1". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const f = formatter(currency, locale);
  if (f) return f.format(toMajor(minor, currency));
  return `${(minor / 100).toFixed(2)} ${currency}`;
}

/** What the operator typed ("12.5", "12,50", "€ 3", "1 200", "1.200,50") in minor units of
 * `currency`, or null when it is not an amount (empty, negative, too many decimals).
 * With both "." and "," the last one is the decimal point; a lone one followed by exactly
 * three digits groups thousands unless the currency has three decimals ("1,200" EUR is
 * 1200.00; "1.250" KWD is 1.250). */
export function parseMoney(text: string, currency: string): number | null {
  const digits = fractionDigits(currency);
  const t = text.replace(/[^\d.,-]/g, "");
  if (!/^[\d.,]*\d[\d.,]*$/.test(t)) return null;
  const seps = t.replace(/\d/g, "");
  let whole = t;
  let frac = "";
  const last = Math.max(t.lastIndexOf("."), t.lastIndexOf(","));
  if (last >= 0) {
    const after = t.slice(last + 1);
    const mixed = seps.includes(".") && seps.includes(",");
    const grouping = !mixed && (seps.length > 1 || (after.length === 3 && digits !== 3));
    if (mixed && t.slice(0, last).includes(t.charAt(last))) return null;
    if (!grouping) {
      whole = t.slice(0, last);
      frac = after;
    }
  }
  whole = whole.replace(/[.,]/g, "");
  if (frac.length > digits || /[.,]/.test(frac)) return null;
  return Number(whole || "0") * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
}

/** An amount in minor units as the operator would type it back (1250 EUR: "12.50"). */
export function minorToInput(minor: number, currency: string): string {
  return toMajor(minor, currency).toFixed(fractionDigits(currency));
}
