import type { CameraStatus, HotFolderActivity, RecordingStatus } from "../bindings";

/** The camera's state in a few words, for the badge over the live view. */
export function cameraText(s: CameraStatus): string {
  const name = s.source === "test" ? "Test camera" : s.source;
  switch (s.phase) {
    case "live":
      return `${name} · live · ${s.width}×${s.height} at ${s.fps} fps`;
    case "reconnecting": {
      const wait = s.retry_in_ms >= 1000 ? `${Math.round(s.retry_in_ms / 1000)} s` : `${s.retry_in_ms} ms`;
      const why = s.reason ? ` (${s.reason})` : "";
      return `${name} · reconnecting, attempt ${s.attempt} in ${wait}${why}`;
    }
    default:
      return `${name} · off`;
  }
}

/** "0:07" for 7 seconds, "1:02:03" past an hour. */
export function clock(totalSeconds: number): string {
  const t = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** One line on a recording: how long, with what, and dropped frames if any. */
export function recordingText(s: RecordingStatus): string {
  const length = clock(s.fps > 0 ? s.frames / s.fps : 0);
  const dropped = s.dropped > 0 ? `, ${s.dropped} dropped` : ", none dropped";
  const sound = s.audio ? "with sound" : "no sound";
  const file = s.file.split(/[\\/]/).at(-1) ?? s.file;
  switch (s.phase) {
    case "recording":
      return `Recording ${length} · ${s.encoder} · ${sound} · ${s.frames} frames${dropped}`;
    case "stopped":
      return `Saved ${file} (${length}, ${s.frames} frames${dropped})`;
    default:
      return `Recording stopped: ${s.error ?? "unknown error"}. What was recorded is in ${file}.`;
  }
}

/** One line of the hot folder's activity list. */
export function hotFolderLine(a: HotFolderActivity): string {
  const file = a.file ? (a.file.split(/[\\/]/).at(-1) ?? a.file) : "";
  switch (a.kind) {
    case "watching":
      return `Watching ${a.folder}`;
    case "reconnecting":
      return `Folder unreachable (${a.reason ?? "gone"}); retrying in ${Math.max(1, Math.round(a.retry_in_ms / 1000))} s`;
    case "imported":
      return `Imported ${file}${a.shot ? ` (${a.shot.width}×${a.shot.height})` : ""}`;
    case "duplicate":
      return `Skipped ${file}: already imported`;
    case "rejected":
      return `Rejected ${file}: ${a.reason ?? "not an image"}`;
    case "stopped":
      return a.reason ? `Stopped: ${a.reason}` : "Stopped";
  }
}
