import { describe, expect, it } from "vitest";
import { countdownSteps, shotCaption, shutterLabel } from "./countdown";

describe("countdown", () => {
  it("counts down whole seconds to 1", () => {
    expect(countdownSteps(3)).toEqual([3, 2, 1]);
    expect(countdownSteps(0)).toEqual([]);
    expect(countdownSteps(2.9)).toEqual([2, 1]);
    expect(countdownSteps(-4)).toEqual([]);
    expect(countdownSteps(500)).toHaveLength(30);
  });

  it("labels the shutter and the shots of a strip", () => {
    expect(shutterLabel(1)).toBe("Take photo");
    expect(shutterLabel(4)).toBe("Take 4-shot strip");
    expect(shotCaption(2, 4)).toBe("2 of 4");
    expect(shotCaption(1, 1)).toBe("");
  });
});
