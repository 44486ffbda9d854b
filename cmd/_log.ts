// Diagnostics (warnings, debug detail), filtered by CTR_LOG_LEVEL/--log-level
// and written synchronously: the CLI ends with _exit, and a buffered line
// would be lost. Not consola: loading its chunk cost ~3.5 ms of every `ctr run`
// for two labelled writes (README, Design).
import { write } from "./_shared.ts";

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 3, debug: 4 };

function emit(level: "warn" | "debug", label: string, msg: string): void {
  if ((LEVELS[process.env.CTR_LOG_LEVEL ?? "info"] ?? 3) >= LEVELS[level]!) write(2, `${label}: ${msg}\n`);
}

export const warn = (msg: string) => emit("warn", "WARNING", msg);
export const debug = (msg: string) => emit("debug", "DEBUG", msg);
