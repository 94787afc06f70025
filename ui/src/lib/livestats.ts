/** Frame rate and capture-to-screen latency of the live view, over a sliding window. */
export class LiveStats {
  private shown: number[] = [];
  private latencies: number[] = [];

  constructor(
    private readonly windowMs = 2000,
    private readonly keep = 120,
  ) {}

  /** A frame captured at `capturedAtMs` reached the screen at `shownAtMs`. */
  push(shownAtMs: number, capturedAtMs: number): void {
    this.shown.push(shownAtMs);
    this.latencies.push(Math.max(0, shownAtMs - capturedAtMs));
    while (this.shown.length > 0 && this.shown[0]! < shownAtMs - this.windowMs) this.shown.shift();
    if (this.latencies.length > this.keep) this.latencies.splice(0, this.latencies.length - this.keep);
  }

  /** Frames per second over the window ending at `nowMs`. */
  fps(nowMs: number): number {
    const recent = this.shown.filter((t) => t >= nowMs - this.windowMs);
    if (recent.length < 2) return 0;
    const span = (recent[recent.length - 1]! - recent[0]!) / 1000;
    return span > 0 ? (recent.length - 1) / span : 0;
  }

  /** The p-th percentile (0-100) of the recent latencies, in ms (nearest rank). */
  latency(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank]!;
  }
}
