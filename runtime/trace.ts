// CTR_TRACE=1 prints milliseconds since process start at the phases of a
// container's start-up, to stderr: where the time goes, measured not guessed.
import { writeSync } from "node:fs";

const on = Boolean(process.env.CTR_TRACE);

export function trace(label: string): void {
  if (on) writeSync(2, `trace ${performance.now().toFixed(1).padStart(6)} ms ${label}\n`);
}
