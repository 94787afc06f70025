import type { BackgroundChoice, Shot, ShotAnalysis } from "../bindings";

export type Level = "good" | "fair" | "poor";

/** A shot's quality as a badge: a percentage and its level. */
export function qualityBadge(quality: number | null): { text: string; level: Level } {
  // Rust's floats reach TypeScript as `number | null` (NaN has no JSON): no score is 0.
  const score = quality ?? 0;
  const pct = Math.round(Math.max(0, Math.min(1, score)) * 100);
  const level: Level = score >= 0.8 ? "good" : score >= 0.5 ? "fair" : "poor";
  return { text: `${pct}%`, level };
}

/** The best shot of each capture session (highest quality; the earlier one on a tie), among
 * the shots analysed so far. Sessions of one shot have no "best". */
export function bestShots(shots: readonly Shot[], analyses: ReadonlyMap<string, ShotAnalysis>): Set<string> {
  const bySession = new Map<string, Shot[]>();
  for (const s of shots) bySession.set(s.session_id, [...(bySession.get(s.session_id) ?? []), s]);
  const best = new Set<string>();
  for (const group of bySession.values()) {
    if (group.length < 2) continue;
    let top: Shot | null = null;
    for (const s of group) {
      const a = analyses.get(s.id);
      if (!a) continue;
      const topScore = top ? (analyses.get(top.id)?.quality ?? -1) : -1;
      if ((a.quality ?? 0) > topScore) top = s;
    }
    if (top) best.add(top.id);
  }
  return best;
}

/** CSS placing a crop rectangle ([x0, y0, x1, y1] as shares of the photo) over its picture. */
export function cropStyle(rect: readonly (number | null)[]): string {
  const [x0, y0, x1, y1] = [rect[0] ?? 0, rect[1] ?? 0, rect[2] ?? 1, rect[3] ?? 1];
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return `left:${pct(x0)};top:${pct(y0)};width:${pct(x1 - x0)};height:${pct(y1 - y0)}`;
}

/** "3 of 10" while applying a preset; "Done: 10 rendered, 1 failed" at the end. */
export function progressText(done: number, total: number, failed: number, finished: boolean, cancelled: boolean): string {
  if (cancelled) return `Stopped after ${done} of ${total}`;
  if (finished) return `Done: ${done - failed} rendered${failed > 0 ? `, ${failed} failed` : ""}`;
  return `${done} of ${total}`;
}

/** The detail view's background menu: `preset` (the preset's own), `keep`, `blur`, `colour`,
 * or `image:FILE`; `colour` is `#rrggbb`. `null` leaves the preset's background. */
export function backgroundChoice(value: string, colour: string): BackgroundChoice | null {
  if (value === "keep") return { kind: "keep" };
  if (value === "blur") return { kind: "blur", radius: 0.012 };
  if (value === "colour") {
    const hex = /^#?([0-9a-f]{6})$/i.exec(colour.trim())?.[1] ?? "ffffff";
    const rgb: [number, number, number] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
    return { kind: "colour", rgb };
  }
  if (value.startsWith("image:")) return { kind: "image", file: value.slice("image:".length) };
  return null;
}
