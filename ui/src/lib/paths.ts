// Helpers for the event picker's folder field.

/** A folder name for an event called `name`: safe on Windows, macOS and Linux. */
export function folderNameFor(name: string): string {
  const cleaned = name
    .normalize("NFC")
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[. ]+$/, "");
  const reserved = /^(con|prn|aux|nul|com\d|lpt\d)$/i;
  if (cleaned === "" || reserved.test(cleaned)) return "Event";
  return cleaned.slice(0, 80).trim();
}

/** Joins a parent folder and a child name with the parent's own separator. */
export function joinPath(parent: string, child: string): string {
  const sep = parent.includes("\\") && !parent.includes("/") ? "\\" : "/";
  return parent.endsWith(sep) ? parent + child : parent + sep + child;
}

/** "3 min ago", "yesterday", or a date: when an event was last opened. */
export function openedAgo(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 2 * 86400) return "yesterday";
  return then.toLocaleDateString("en-CA");
}
