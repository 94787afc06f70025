import { describe, expect, it } from "vitest";
import { call, describeError, isAppError } from "./errors";

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

describe("call", () => {
  it("returns the data of an ok result and throws the error of a failed one", async () => {
    await expect(call(Promise.resolve({ status: "ok" as const, data: 7 }))).resolves.toBe(7);
    const error = { kind: "corrupt", message: "the event database is damaged" };
    await expect(call(Promise.resolve({ status: "error" as const, error }))).rejects.toEqual(error);
  });
});
