import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  bucketLabel,
  busiestHours,
  clockText,
  conversionSplit,
  debounce,
  fillQuarterHours,
  hourLabel,
  niceCeil,
  percentText,
  repeatSignal,
  revenueChart,
  topItemBars,
  truncate,
} from "./dashboard";

// Local times are checked in a zone with a half-hour offset and no daylight saving (Node
// reads TZ again when it changes); the zone is given back for the other test files.
beforeAll(() => {
  vi.stubEnv("TZ", "Asia/Kolkata");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe("percentages", () => {
  it("write shares, and a dash for none", () => {
    expect(percentText(0.75)).toBe("75%");
    expect(percentText(1 / 3, 1)).toBe("33.3%");
    expect(percentText(0)).toBe("0%");
    expect(percentText(null)).toBe("—");
  });

  it("flag repeat customers over 12%", () => {
    expect(repeatSignal(0.12)).toBe(false);
    expect(repeatSignal(0.13)).toBe(true);
    expect(repeatSignal(null)).toBe(false);
  });
});

describe("clock labels", () => {
  it("are local HH:MM", () => {
    expect(clockText(new Date("2026-06-01T08:05:00Z"))).toBe("13:35");
    expect(bucketLabel("2026-06-01T14:15:00Z")).toBe("19:45");
    expect(bucketLabel("not a time")).toBe("not a time");
  });

  it("turn UTC hours into local spans", () => {
    const ref = new Date("2026-06-01T12:00:00Z");
    expect(hourLabel(14, ref)).toBe("19:30–20:30");
    expect(hourLabel(23, ref)).toBe("04:30–05:30");
    expect(busiestHours([[14, 5], [15, 1], [9, 1], [10, 1]], 3, ref)).toEqual([
      "19:30–20:30 (5 orders)",
      "20:30–21:30 (1 order)",
      "14:30–15:30 (1 order)",
    ]);
  });
});

describe("revenue over time", () => {
  it("puts empty quarter hours back as zeros", () => {
    const filled = fillQuarterHours([
      { at: "2026-06-01T14:00:00Z", revenue_minor: 500 },
      { at: "2026-06-01T14:45:00Z", revenue_minor: 300 },
    ]);
    expect(filled).toEqual([
      { at: "2026-06-01T14:00:00Z", revenue_minor: 500 },
      { at: "2026-06-01T14:15:00Z", revenue_minor: 0 },
      { at: "2026-06-01T14:30:00Z", revenue_minor: 0 },
      { at: "2026-06-01T14:45:00Z", revenue_minor: 300 },
    ]);
    const long = [{ at: "2026-06-01T00:00:00Z", revenue_minor: 1 }, { at: "2026-06-09T00:00:00Z", revenue_minor: 1 }];
    expect(fillQuarterHours(long)).toEqual(long);
    expect(fillQuarterHours([])).toEqual([]);
  });

  it("finds nice axis tops", () => {
    expect(niceCeil(0)).toBe(0);
    expect(niceCeil(7)).toBe(10);
    expect(niceCeil(1200)).toBe(2000);
    expect(niceCeil(2100)).toBe(2500);
    expect(niceCeil(4100)).toBe(5000);
    expect(niceCeil(100)).toBe(100);
  });

  const box = { width: 420, height: 220, left: 60, right: 0, top: 10, bottom: 30 };

  it("scales bars into the view box", () => {
    const c = revenueChart(
      [
        { at: "2026-06-01T14:00:00Z", revenue_minor: 1000 },
        { at: "2026-06-01T14:15:00Z", revenue_minor: 0 },
        { at: "2026-06-01T14:30:00Z", revenue_minor: 500 },
      ],
      box,
    );
    expect(c.zeroY).toBe(190);
    expect(c.bars.map((b) => [Math.round(b.x), b.y, b.h])).toEqual([[62, 10, 180], [182, 190, 0], [302, 100, 90]]);
    expect(c.bars[0]!.w).toBe(116);
    expect(c.bars.map((b) => b.label)).toEqual(["19:30", "19:45", "20:00"]);
    expect(c.ticks).toEqual([{ y: 10, value: 1000 }, { y: 100, value: 500 }, { y: 190, value: 0 }]);
    for (const b of c.bars) {
      expect(b.x).toBeGreaterThanOrEqual(box.left);
      expect(b.x + b.w).toBeLessThanOrEqual(box.width - box.right);
    }
  });

  it("draws a quarter hour of refunds below zero", () => {
    const c = revenueChart(
      [
        { at: "2026-06-01T14:00:00Z", revenue_minor: 1000 },
        { at: "2026-06-01T14:15:00Z", revenue_minor: -500 },
      ],
      box,
    );
    expect(c.zeroY).toBe(130);
    expect(c.bars[1]).toMatchObject({ y: 130, h: 60, value: -500 });
    expect(c.ticks.at(-1)).toEqual({ y: 190, value: -500 });
  });

  it("thins the x labels", () => {
    const points = Array.from({ length: 20 }, (_, i) => ({ at: new Date(Date.UTC(2026, 5, 1, 10) + i * 900_000).toISOString(), revenue_minor: i }));
    const c = revenueChart(points, box, 5);
    expect(c.labels.length).toBe(5);
    expect(c.labels[0]!.text).toBe("15:30");
    expect(c.labels[1]!.text).toBe("16:30");
  });

  it("copes with no data", () => {
    const c = revenueChart([], box);
    expect(c.bars).toEqual([]);
    expect(c.labels).toEqual([]);
    expect(c.ticks).toEqual([]);
    // A top of 25 cents has no half-way line (12.5 cents is no amount).
    const small = revenueChart([{ at: "2026-06-01T14:00:00Z", revenue_minor: 25 }], box);
    expect(small.ticks.map((t) => t.value)).toEqual([25, 0]);
  });
});

describe("top items and conversion", () => {
  it("scale bars to the best seller", () => {
    const bars = topItemBars(
      [
        { item_id: "a", name: "Print", units: 4, revenue_minor: 4000 },
        { item_id: "b", name: "Download", units: 2, revenue_minor: 1000 },
      ],
      200,
    );
    expect(bars.map((b) => [b.name, b.w])).toEqual([["Print", 200], ["Download", 50]]);
    expect(topItemBars([{ item_id: "c", name: "Free", units: 1, revenue_minor: 0 }], 200)[0]!.w).toBe(0);
  });

  it("cut long names", () => {
    expect(truncate("Print", 10)).toBe("Print");
    expect(truncate("Deluxe portrait bundle", 10)).toBe("Deluxe po…");
    expect(truncate("Zoë’s 📸 package", 8)).toBe("Zoë’s 📸…");
  });

  it("splits sessions into those with an order and those without", () => {
    expect(conversionSplit(8, 0.75)).toEqual({ withOrder: 6, without: 2, share: 0.75 });
    expect(conversionSplit(0, null)).toEqual({ withOrder: 0, without: 0, share: 0 });
    expect(conversionSplit(3, 1 / 3)).toEqual({ withOrder: 1, without: 2, share: 1 / 3 });
  });
});

describe("debounce", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs once after a burst, and not at all when cancelled", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const d = debounce(fn, 300);
    d.call();
    vi.advanceTimersByTime(200);
    d.call();
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
    d.call();
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
