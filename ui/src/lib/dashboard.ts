import type { RevenuePoint, TopItem } from "../bindings";

// The Dashboard's pure parts: percentages, local clock labels, and charts scaled to an SVG
// view box (the screen draws them as inline SVG). Money is formatted by `money.ts`.

/** The playbook's signal: over 12% repeat customers, run the booth more often. */
export const REPEAT_SIGNAL = 0.12;

export function repeatSignal(share: number | null): boolean {
  return share !== null && share > REPEAT_SIGNAL;
}

/** A share (0..1) as "75%"; "—" when there is none (no sessions, no orders). */
export function percentText(share: number | null, digits = 0): string {
  if (share === null || !Number.isFinite(share)) return "—";
  return `${(share * 100).toFixed(digits)}%`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "14:05" in local time. */
export function clockText(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The local start time (HH:MM) of a quarter-hour bucket given in RFC 3339. */
export function bucketLabel(at: string): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : clockText(d);
}

/** An hour of the day given in UTC (as the KPIs count orders) as a local span,
 * "14:00–15:00", on the day of `ref` (the offset can differ on another day). */
export function hourLabel(hourUtc: number, ref: Date = new Date()): string {
  const from = new Date(Date.UTC(ref.getUTCFullYear(), ref.getUTCMonth(), ref.getUTCDate(), hourUtc));
  const to = new Date(from.getTime() + 3_600_000);
  return `${clockText(from)}–${clockText(to)}`;
}

/** The `n` busiest hours (already busiest first) as local spans with their orders. */
export function busiestHours(perHour: readonly (readonly [number, number])[], n = 3, ref: Date = new Date()): string[] {
  return perHour.slice(0, n).map(([h, orders]) => `${hourLabel(h, ref)} (${orders} ${orders === 1 ? "order" : "orders"})`);
}

const QUARTER = 15 * 60_000;

/** The revenue series with the quarter hours nothing was taken in put back as zeros, so
 * that the bars stand on a time axis. A series spanning more than `maxBuckets` is left as
 * it is (a long event would make bars too thin to see). */
export function fillQuarterHours(points: readonly RevenuePoint[], maxBuckets = 192): RevenuePoint[] {
  const times = points.map((p) => Date.parse(p.at));
  if (points.length < 2 || times.some(Number.isNaN)) return [...points];
  const first = times[0]!;
  const last = times[times.length - 1]!;
  const buckets = Math.round((last - first) / QUARTER) + 1;
  if (buckets > maxBuckets || buckets < points.length) return [...points];
  const byTime = new Map(times.map((t, i) => [t, points[i]!]));
  const out: RevenuePoint[] = [];
  for (let i = 0; i < buckets; i++) {
    const t = first + i * QUARTER;
    out.push(byTime.get(t) ?? { at: new Date(t).toISOString().replace(".000Z", "Z"), revenue_minor: 0 });
  }
  return out;
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `v` (axis tops). */
export function niceCeil(v: number): number {
  if (v <= 0) return 0;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export interface Box {
  width: number;
  height: number;
  /** Room for axis labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Bar {
  x: number;
  y: number;
  w: number;
  h: number;
  value: number;
  label: string;
  at: string;
}

export interface RevenueChart {
  bars: Bar[];
  /** Where zero is (refunds can make a quarter hour negative). */
  zeroY: number;
  /** Gridlines with their values, top first (none without data). */
  ticks: { y: number; value: number }[];
  /** The x labels shown (thinned to `maxLabels`). */
  labels: { x: number; text: string }[];
}

/** Revenue bars in `box`: one per quarter hour, y from the smallest (or 0) to a nice top. */
export function revenueChart(points: readonly RevenuePoint[], box: Box, maxLabels = 8): RevenueChart {
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const values = points.map((p) => p.revenue_minor);
  const top = niceCeil(Math.max(0, ...values)) || 1;
  const bottom = -niceCeil(-Math.min(0, ...values));
  const y = (v: number) => box.top + ((top - v) / (top - bottom)) * plotH;
  const zeroY = y(0);
  const slot = points.length > 0 ? plotW / points.length : plotW;
  const gap = Math.min(4, slot * 0.2);
  const bars = points.map((p, i) => {
    const vy = y(p.revenue_minor);
    return {
      x: box.left + i * slot + gap / 2,
      y: Math.min(vy, zeroY),
      w: Math.max(0.5, slot - gap),
      h: Math.abs(zeroY - vy),
      value: p.revenue_minor,
      label: bucketLabel(p.at),
      at: p.at,
    };
  });
  const every = Math.max(1, Math.ceil(points.length / maxLabels));
  const labels = bars.filter((_, i) => i % every === 0).map((b) => ({ x: b.x + b.w / 2, text: b.label }));
  // Money is whole minor units: a half-way line only where it is one.
  const half = Number.isInteger(top / 2) ? [top / 2] : [];
  const ticks = points.length === 0 ? [] : [top, ...half, 0, ...(bottom < 0 ? [bottom] : [])].map((value) => ({ y: y(value), value }));
  return { bars, zeroY, ticks, labels };
}

export interface HBar {
  name: string;
  units: number;
  revenue: number;
  /** Bar length, 0..`width`. */
  w: number;
}

/** Top items as horizontal bars, the best seller `width` long. */
export function topItemBars(items: readonly TopItem[], width: number): HBar[] {
  const most = Math.max(0, ...items.map((i) => i.revenue_minor));
  return items.map((i) => ({
    name: i.name,
    units: i.units,
    revenue: i.revenue_minor,
    w: most > 0 ? (Math.max(0, i.revenue_minor) / most) * width : 0,
  }));
}

/** `s` cut to `n` characters with an ellipsis, for labels in a chart. */
export function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, Math.max(1, n - 1)).join("").trimEnd()}…`;
}

/** Capture sessions that led to an order and those that did not. */
export function conversionSplit(sessions: number, conversion: number | null): { withOrder: number; without: number; share: number } {
  const share = sessions > 0 && conversion !== null ? Math.max(0, Math.min(1, conversion)) : 0;
  const withOrder = Math.round(share * sessions);
  return { withOrder, without: Math.max(0, sessions - withOrder), share };
}

/** `fn` run `ms` after the last of a burst of calls (`cancel` drops a pending run). */
export function debounce(fn: () => void, ms: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return {
    call: () => {
      cancel();
      timer = setTimeout(() => {
        timer = null;
        fn();
      }, ms);
    },
    cancel,
  };
}
