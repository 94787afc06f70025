import { describe, expect, it } from "vitest";
import { formatMoney, fractionDigits, minorToInput, parseMoney, toMajor } from "./money";

describe("fractionDigits", () => {
  it("follows the currency, with 2 for a code Intl does not know", () => {
    expect(fractionDigits("EUR")).toBe(2);
    expect(fractionDigits("JPY")).toBe(0);
    expect(fractionDigits("KWD")).toBe(3);
    expect(fractionDigits("NOT A CODE")).toBe(2);
  });
});

describe("formatMoney", () => {
  it("writes minor units as the locale writes the currency", () => {
    expect(formatMoney(1250, "USD", "en-US")).toBe("$12.50");
    expect(formatMoney(1200, "JPY", "en-US")).toBe("¥1,200");
    expect(formatMoney(-300, "EUR", "en-US")).toBe("-€3.00");
    expect(formatMoney(1234567, "EUR", "de-DE").replace(/\s/g, " ")).toBe("12.345,67 €");
    expect(formatMoney(1500, "KWD", "en-US").replace(/\s/g, " ")).toBe("KWD 1.500");
  });

  it("does not fail on a code Intl does not know", () => {
    expect(formatMoney(1250, "EURO")).toBe("12.50 EURO");
  });
});

describe("toMajor and minorToInput", () => {
  it("go from minor to major units", () => {
    expect(toMajor(1250, "EUR")).toBe(12.5);
    expect(toMajor(1250, "JPY")).toBe(1250);
    expect(minorToInput(1250, "EUR")).toBe("12.50");
    expect(minorToInput(7, "EUR")).toBe("0.07");
    expect(minorToInput(500, "JPY")).toBe("500");
  });
});

describe("parseMoney", () => {
  it("reads amounts with a point or a comma", () => {
    expect(parseMoney("12.5", "EUR")).toBe(1250);
    expect(parseMoney("12,50", "EUR")).toBe(1250);
    expect(parseMoney("12", "EUR")).toBe(1200);
    expect(parseMoney(".5", "EUR")).toBe(50);
    expect(parseMoney("0", "EUR")).toBe(0);
    expect(parseMoney(" € 3 ", "EUR")).toBe(300);
    expect(parseMoney("0.07", "EUR")).toBe(7);
  });

  it("takes grouping separators out", () => {
    expect(parseMoney("1 200", "EUR")).toBe(120000);
    expect(parseMoney("1,200", "EUR")).toBe(120000);
    expect(parseMoney("1.200,50", "EUR")).toBe(120050);
    expect(parseMoney("1,200.50", "USD")).toBe(120050);
    expect(parseMoney("1.000.000", "EUR")).toBe(100000000);
    expect(parseMoney("1.200", "JPY")).toBe(1200);
    expect(parseMoney("1.250", "KWD")).toBe(1250);
  });

  it("refuses what is not an amount", () => {
    for (const t of ["", "  ", "abc", "-5", "1.234.5,6,7", "12.5", "1.2345"]) {
      const currency = t === "12.5" ? "JPY" : "EUR";
      expect(parseMoney(t, currency), t).toBeNull();
    }
  });
});
