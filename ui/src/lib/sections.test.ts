import { describe, expect, it } from "vitest";
import { SECTIONS, hashFor, sectionForShortcut, sectionFromHash } from "./sections";

describe("sections", () => {
  it("has the six sections in order, each with a unique id", () => {
    expect(SECTIONS.map((s) => s.title)).toEqual(["Booth", "Edit", "Sell", "Deliver", "Dashboard", "Settings"]);
    expect(new Set(SECTIONS.map((s) => s.id)).size).toBe(SECTIONS.length);
  });

  it("says what is coming only for sections still being built", () => {
    expect(SECTIONS.filter((s) => s.coming !== null).map((s) => s.id)).toEqual(["deliver"]);
    for (const s of SECTIONS) expect(s.summary.trim()).not.toBe("");
  });

  it("round-trips every section through the location hash", () => {
    for (const s of SECTIONS) expect(sectionFromHash(hashFor(s.id))).toBe(s.id);
  });

  it("falls back to the booth for unknown or empty hashes", () => {
    for (const h of ["", "#", "#/", "#/nope", "#/../settings", "sell"]) {
      expect(sectionFromHash(h)).toBe(h === "sell" ? "sell" : "booth");
    }
    expect(sectionFromHash("#/Dashboard?x=1")).toBe("dashboard");
  });

  it("maps Ctrl/Cmd+1..6 to sections and ignores everything else", () => {
    const k = (key: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) =>
      sectionForShortcut({ key, ctrlKey: false, metaKey: false, altKey: false, ...mods });
    expect(k("1", { ctrlKey: true })).toBe("booth");
    expect(k("6", { metaKey: true })).toBe("settings");
    expect(k("7", { ctrlKey: true })).toBeNull();
    expect(k("0", { ctrlKey: true })).toBeNull();
    expect(k("3")).toBeNull();
    expect(k("3", { ctrlKey: true, altKey: true })).toBeNull();
  });
});
