import { describe, expect, it } from "vitest";
import { folderNameFor, joinPath, openedAgo } from "./paths";

describe("folderNameFor", () => {
  it("keeps readable names and Unicode", () => {
    expect(folderNameFor("Summer Fair 2026")).toBe("Summer Fair 2026");
    expect(folderNameFor("Fête d'été — Zoë")).toBe("Fête d'été — Zoë");
  });

  it("removes characters no file system accepts and trailing dots", () => {
    expect(folderNameFor('a/b\\c:d*e?"f<g>h|i')).toBe("a b c d e f g h i");
    expect(folderNameFor("Night market...  ")).toBe("Night market");
  });

  it("never returns an empty or reserved name", () => {
    expect(folderNameFor("   ")).toBe("Event");
    expect(folderNameFor("///")).toBe("Event");
    expect(folderNameFor("CON")).toBe("Event");
  });

  it("limits the length", () => {
    expect(folderNameFor("x".repeat(300)).length).toBe(80);
  });
});

describe("joinPath", () => {
  it("uses the parent's separator", () => {
    expect(joinPath("/home/ana/Popbooth", "Fair")).toBe("/home/ana/Popbooth/Fair");
    expect(joinPath("/home/ana/Popbooth/", "Fair")).toBe("/home/ana/Popbooth/Fair");
    expect(joinPath("C:\\Users\\Ana\\Popbooth", "Fair")).toBe("C:\\Users\\Ana\\Popbooth\\Fair");
  });
});

describe("openedAgo", () => {
  const now = new Date("2026-11-25T12:00:00Z");
  it("says how long ago in words", () => {
    expect(openedAgo("2026-11-25T11:59:30Z", now)).toBe("just now");
    expect(openedAgo("2026-11-25T11:45:00Z", now)).toBe("15 min ago");
    expect(openedAgo("2026-11-25T09:00:00Z", now)).toBe("3 h ago");
    expect(openedAgo("2026-11-24T09:00:00Z", now)).toBe("yesterday");
    expect(openedAgo("2026-10-01T09:00:00Z", now)).toBe("2026-10-01");
    expect(openedAgo("garbage", now)).toBe("");
  });
});
