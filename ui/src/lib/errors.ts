import type { AppError } from "../bindings";

/** A readable sentence for anything a command threw or returned as an error. */
export function describeError(e: unknown): string {
  if (isAppError(e)) return capitalise(e.message);
  if (e instanceof Error) return capitalise(e.message);
  if (typeof e === "string" && e.trim() !== "") return capitalise(e);
  return "Something went wrong, and Popbooth could not tell what. The log file has the details.";
}

export function isAppError(e: unknown): e is AppError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { kind?: unknown }).kind === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

function capitalise(s: string): string {
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}
