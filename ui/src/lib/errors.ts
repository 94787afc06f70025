import type { AppError } from "../bindings";

/** What every generated command returns. */
export type CommandResult<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

/** The command's data, or its `AppError` thrown: lets callers use one try/catch. */
export async function call<T>(result: Promise<CommandResult<T>>): Promise<T> {
  const r = await result;
  if (r.status === "ok") return r.data;
  throw r.error;
}

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
