import { describe, expect, it } from "vitest";
import { devicesLine } from "./camera";

describe("devicesLine", () => {
  it("says the test camera is used when no camera is attached", () => {
    expect(devicesLine([])).toBe("No camera attached: the Booth uses the built-in test camera.");
  });

  it("names the cameras it found", () => {
    expect(devicesLine(["/dev/video0"])).toMatch(/^Found camera \/dev\/video0\. /);
    expect(devicesLine(["/dev/video0", "/dev/video2", "/dev/video4"])).toMatch(
      /^Found cameras \/dev\/video0, \/dev\/video2 and \/dev\/video4\. /,
    );
  });
});
