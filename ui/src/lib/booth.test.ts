import { describe, expect, it } from "vitest";
import type { CameraStatus, HotFolderActivity, RecordingStatus } from "../bindings";
import { cameraText, clock, hotFolderLine, recordingText } from "./booth";

const camera: CameraStatus = {
  phase: "live", source: "test", width: 1280, height: 720, fps: 30, attempt: 0, retry_in_ms: 0, reason: null, mic: null, mic_error: null,
};

describe("cameraText", () => {
  it("says live with the mode", () => {
    expect(cameraText(camera)).toBe("Test camera · live · 1280×720 at 30 fps");
  });
  it("says reconnecting with the attempt, the wait and the reason", () => {
    const s: CameraStatus = { ...camera, phase: "reconnecting", source: "v4l2:/dev/video0", attempt: 3, retry_in_ms: 2000, reason: "unplugged" };
    expect(cameraText(s)).toBe("v4l2:/dev/video0 · reconnecting, attempt 3 in 2 s (unplugged)");
    expect(cameraText({ ...s, retry_in_ms: 250, reason: null })).toBe("v4l2:/dev/video0 · reconnecting, attempt 3 in 250 ms");
  });
  it("says off", () => {
    expect(cameraText({ ...camera, phase: "off" })).toBe("Test camera · off");
  });
});

describe("clock", () => {
  it("formats minutes and hours", () => {
    expect(clock(7)).toBe("0:07");
    expect(clock(62.9)).toBe("1:02");
    expect(clock(3723)).toBe("1:02:03");
    expect(clock(-4)).toBe("0:00");
  });
});

describe("recordingText", () => {
  const rec: RecordingStatus = {
    phase: "recording", file: "/e/recordings/20261125-101010.mp4", encoder: "libx264", fps: 30, frames: 300, dropped: 0, audio: true, notice: null, error: null,
  };
  it("shows length, encoder, sound and frames while recording", () => {
    expect(recordingText(rec)).toBe("Recording 0:10 · libx264 · with sound · 300 frames, none dropped");
  });
  it("names the file when saved and counts dropped frames", () => {
    expect(recordingText({ ...rec, phase: "stopped", dropped: 2 })).toBe("Saved 20261125-101010.mp4 (0:10, 300 frames, 2 dropped)");
  });
  it("says why it failed and that the file is kept", () => {
    expect(recordingText({ ...rec, phase: "failed", error: "disk full" })).toContain("disk full");
  });
});

describe("hotFolderLine", () => {
  const base: HotFolderActivity = { kind: "watching", folder: "/cam", file: null, reason: null, retry_in_ms: 0, shot: null };
  it("describes each kind", () => {
    expect(hotFolderLine(base)).toBe("Watching /cam");
    expect(hotFolderLine({ ...base, kind: "rejected", file: "/cam/notes.txt", reason: "not an image" })).toBe("Rejected notes.txt: not an image");
    expect(hotFolderLine({ ...base, kind: "duplicate", file: "C:\\cam\\IMG_1.JPG" })).toBe("Skipped IMG_1.JPG: already imported");
    expect(hotFolderLine({ ...base, kind: "reconnecting", reason: "no such folder", retry_in_ms: 4000 })).toBe("Folder unreachable (no such folder); retrying in 4 s");
    expect(hotFolderLine({ ...base, kind: "stopped" })).toBe("Stopped");
  });
});
