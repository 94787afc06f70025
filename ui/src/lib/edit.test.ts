import { describe, expect, it } from "vitest";
import type { Shot, ShotAnalysis } from "../bindings";
import { backgroundChoice, bestShots, cropStyle, progressText, qualityBadge } from "./edit";

const shot = (id: string, session: string): Shot => ({
  id, session_id: session, seq: 1, taken_at: "", source: "test", width: 10, height: 10, file: "", sha256: "", bytes: 1,
});
const analysis = (id: string, quality: number): ShotAnalysis => ({ shot_id: id, quality, reasons: [], faces: 1, eyes_open: true, crops: [] });

describe("qualityBadge", () => {
  it("gives a percentage and a level", () => {
    expect(qualityBadge(1)).toEqual({ text: "100%", level: "good" });
    expect(qualityBadge(0.6)).toEqual({ text: "60%", level: "fair" });
    expect(qualityBadge(0.14)).toEqual({ text: "14%", level: "poor" });
  });
});

describe("bestShots", () => {
  it("marks the best of each burst, not single shots, and only analysed ones", () => {
    const shots = [shot("a", "s1"), shot("b", "s1"), shot("c", "s1"), shot("d", "s2"), shot("e", "s3"), shot("f", "s3")];
    const analyses = new Map([
      ["a", analysis("a", 0.4)],
      ["b", analysis("b", 0.9)],
      ["c", analysis("c", 0.9)],
      ["d", analysis("d", 1)],
    ]);
    expect([...bestShots(shots, analyses)]).toEqual(["b"]);
  });
});

describe("cropStyle", () => {
  it("places the rectangle in percent", () => {
    expect(cropStyle([0.1, 0.2, 0.6, 0.9])).toBe("left:10.00%;top:20.00%;width:50.00%;height:70.00%");
  });
});

describe("progressText", () => {
  it("counts, finishes and stops", () => {
    expect(progressText(3, 10, 0, false, false)).toBe("3 of 10");
    expect(progressText(10, 10, 1, true, false)).toBe("Done: 9 rendered, 1 failed");
    expect(progressText(4, 10, 0, true, true)).toBe("Stopped after 4 of 10");
  });
});

describe("backgroundChoice", () => {
  it("maps the menu to the recipe's background, or none for the preset's own", () => {
    expect(backgroundChoice("preset", "#000000")).toBeNull();
    expect(backgroundChoice("keep", "")).toEqual({ kind: "keep" });
    expect(backgroundChoice("blur", "")).toEqual({ kind: "blur", radius: 0.012 });
    expect(backgroundChoice("colour", "#1e90ff")).toEqual({ kind: "colour", rgb: [30, 144, 255] });
    expect(backgroundChoice("colour", "not a colour")).toEqual({ kind: "colour", rgb: [255, 255, 255] });
    expect(backgroundChoice("image:sunset.png", "")).toEqual({ kind: "image", file: "sunset.png" });
  });
});
