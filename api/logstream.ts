// A container's json-file log read as it grows, for logs and attach. Read
// through one open descriptor (fstat, not stat): a --rm container's
// directory may be removed while its last lines are still being sent.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { LogEntry } from "../runtime/logs.ts";

export class LogReader {
  private fd: number | undefined;
  private pos = 0;
  private rest = "";

  /** fromEnd: only what is written from now on (attach); else from the beginning (logs) */
  constructor(path: string, fromEnd: boolean) {
    try {
      this.fd = openSync(path, "r");
      if (fromEnd) this.pos = fstatSync(this.fd).size;
    } catch {
      this.fd = undefined; // no log (yet): nothing to read
    }
  }

  /** Every complete line written since the last call. */
  readNew(): LogEntry[] {
    if (this.fd === undefined) return [];
    const size = fstatSync(this.fd).size;
    if (size <= this.pos) return [];
    const buf = Buffer.alloc(size - this.pos);
    const n = readSync(this.fd, buf, 0, buf.length, this.pos);
    this.pos += n;
    const text = this.rest + buf.subarray(0, n).toString();
    const cut = text.lastIndexOf("\n") + 1;
    this.rest = text.slice(cut);
    const out: LogEntry[] = [];
    for (const l of text.slice(0, cut).split("\n")) {
      if (!l) continue;
      try {
        out.push(JSON.parse(l) as LogEntry);
      } catch {}
    }
    return out;
  }

  /**
   * Follows the log until alive() turns false (asked before each read, so
   * what was written before the exit is still read) or cancelled() is true.
   */
  async *follow(alive: () => boolean, cancelled: () => boolean, pollMs = 20): AsyncGenerator<LogEntry> {
    while (!cancelled()) {
      const a = alive();
      yield* this.readNew();
      if (!a) break;
      await Bun.sleep(pollMs);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
