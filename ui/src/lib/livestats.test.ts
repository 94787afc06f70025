import { describe, expect, it } from "vitest";
import { LiveStats } from "./livestats";

describe("LiveStats", () => {
  it("measures the frame rate over the window", () => {
    const s = new LiveStats(2000);
    for (let i = 0; i <= 60; i++) s.push(1000 + i * 33.3, 1000 + i * 33.3 - 20);
    expect(s.fps(1000 + 60 * 33.3)).toBeCloseTo(30, 0);
    // Nothing new for three seconds: the rate falls to zero.
    expect(s.fps(1000 + 60 * 33.3 + 3000)).toBe(0);
  });

  it("gives latency percentiles by nearest rank", () => {
    const s = new LiveStats(2000, 100);
    for (let i = 1; i <= 100; i++) s.push(10_000 + i, 10_000 + i - i); // latency i ms
    expect(s.latency(50)).toBe(50);
    expect(s.latency(95)).toBe(95);
    expect(s.latency(100)).toBe(100);
    expect(new LiveStats().latency(95)).toBe(0);
  });

  it("keeps only the most recent latencies", () => {
    const s = new LiveStats(2000, 10);
    for (let i = 0; i < 50; i++) s.push(i, i - 1000);
    for (let i = 50; i < 60; i++) s.push(i, i - 5);
    expect(s.latency(95)).toBe(5);
  });
});
