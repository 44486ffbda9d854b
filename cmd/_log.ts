// Diagnostics (warnings, debug detail) through consola, filtered by
// --log-level. The reporter writes synchronously: the CLI ends with _exit,
// and a buffered line would be lost. consola is loaded on first use only.
import type { ConsolaInstance, LogObject } from "consola";
import { write } from "./_shared.ts";

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 3, debug: 4 };

let log: ConsolaInstance | undefined;

function logger(): ConsolaInstance {
  if (log) return log;
  const { createConsola } = require("consola") as typeof import("consola");
  const label = (o: LogObject) => (o.type === "warn" ? "WARNING" : o.type.toUpperCase());
  log = createConsola({
    level: LEVELS[process.env.CTR_LOG_LEVEL ?? "info"] ?? 3,
    reporters: [{ log: (o) => write(2, `${label(o)}: ${o.args.map(String).join(" ")}\n`) }],
  });
  return log;
}


export const warn = (msg: string) => logger().warn(msg);
export const debug = (msg: string) => logger().debug(msg);
