// The shell's sections, in sidebar order. What each says while its capability is still being
// built is part of the product: an empty section tells the operator what is coming, it never
// shows made-up data.

export type SectionId = "booth" | "edit" | "sell" | "deliver" | "dashboard" | "settings";

export interface Section {
  id: SectionId;
  title: string;
  /** One line under the title. */
  summary: string;
  /** What this section will do, shown while it is empty. Null once it is built. */
  coming: string | null;
}

export const SECTIONS: readonly Section[] = [
  {
    id: "booth",
    title: "Booth",
    summary: "Camera, live view, countdown, stills, strips, recording and the hot folder",
    coming: null,
  },
  {
    id: "edit",
    title: "Edit",
    summary: "The portrait assistant: quality, best shots, presets, before and after",
    coming: null,
  },
  {
    id: "sell",
    title: "Sell",
    summary: "Point of sale: items, the guest's shots, cash, card or a payment link, and a receipt with a QR code",
    coming: null,
  },
  {
    id: "deliver",
    title: "Deliver",
    summary: "Print queue and digital goods",
    coming:
      "A print queue that survives crashes and tells you when the printer is out of paper, and download links with QR codes that guests open on their phones over the venue Wi-Fi.",
  },
  {
    id: "dashboard",
    title: "Dashboard",
    summary: "How the event is going: revenue, orders, conversion, attach rate and repeat customers, live",
    coming: null,
  },
  {
    id: "settings",
    title: "Settings",
    summary: "This event and this machine",
    coming: null,
  },
];

export const DEFAULT_SECTION: SectionId = "booth";

/** The section a location hash such as `#/sell` points at; the default for anything else. */
export function sectionFromHash(hash: string): SectionId {
  const id = hash.replace(/^#\/?/, "").split(/[/?]/)[0]?.toLowerCase() ?? "";
  return SECTIONS.some((s) => s.id === id) ? (id as SectionId) : DEFAULT_SECTION;
}

export function hashFor(id: SectionId): string {
  return `#/${id}`;
}

/** Ctrl/Cmd + 1..6 jumps to a section; anything else is not a section shortcut. */
export function sectionForShortcut(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): SectionId | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const n = Number.parseInt(e.key, 10);
  if (!Number.isInteger(n) || n < 1 || n > SECTIONS.length) return null;
  return SECTIONS[n - 1]?.id ?? null;
}
