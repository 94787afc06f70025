import { describe, expect, it } from "vitest";
import { describeError, isAppError } from "./errors";

describe("describeError", () => {
  it("uses the message of an error returned by a command", () => {
    const e = { kind: "not_an_event", message: "/tmp/x is not a Popbooth event: it has no event.db" };
    expect(isAppError(e)).toBe(true);
    expect(describeError(e)).toBe("/tmp/x is not a Popbooth event: it has no event.db");
  });

  it("capitalises the first letter of plain messages", () => {
    expect(describeError(new Error("could not open the camera"))).toBe("Could not open the camera");
    expect(describeError("  printer is offline ")).toBe("Printer is offline");
  });

  it("never returns an empty or technical sentence for unknown values", () => {
    for (const v of [undefined, null, 42, {}, "", { kind: 1, message: "x" }]) {
      const text = describeError(v);
      expect(text.length).toBeGreaterThan(20);
      expect(text).not.toMatch(/undefined|object Object/);
    }
  });
});
