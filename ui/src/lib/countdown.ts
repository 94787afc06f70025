/** The numbers a countdown of `seconds` shows, one per second: 3 → [3, 2, 1]. */
export function countdownSteps(seconds: number): number[] {
  const n = Math.max(0, Math.min(30, Math.floor(seconds)));
  return Array.from({ length: n }, (_, i) => n - i);
}

/** What the shutter button says for a session of `count` shots. */
export function shutterLabel(count: number): string {
  return count <= 1 ? "Take photo" : `Take ${count}-shot strip`;
}

/** "2 of 4" under each shot of a strip; nothing for a single shot. */
export function shotCaption(seq: number, count: number): string {
  return count > 1 ? `${seq} of ${count}` : "";
}
