// Reads the json-file log the monitor writes (one JSON object per line), for
// `logs` (the CLI and the API) and the API's attach. Read through one open
// descriptor (fstat, not stat): a --rm container's directory may be removed
// while its last lines are still to be read.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface LogEntry {
  log: string;
  stream: "stdout" | "stderr";
  time: string;
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  since?: number; // unix ms
  until?: number;
  /** still running? (follow stops when this turns false) */
  alive: () => boolean;
}

const NL = 10;
const STEP = 1 << 16;

function parseLine(l: string): LogEntry | undefined {
  if (!l) return undefined;
  try {
    return JSON.parse(l) as LogEntry;
  } catch {
    return undefined;
  }
}

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
      const e = parseLine(l);
      if (e) out.push(e);
    }
    return out;
  }

  /**
   * The newest n complete lines that keep() accepts, oldest first, read back
   * from the end in 64 KiB steps: a service's log grows to gigabytes, and
   * `logs --tail` should not read it all. The reader is left at the end, so
   * readNew (follow) goes on with what is written next.
   */
  last(n: number, keep: (e: LogEntry) => boolean): LogEntry[] {
    if (this.fd === undefined) return [];
    const size = fstatSync(this.fd).size;
    const found: LogEntry[] = [];
    let start = size;
    let pending = Buffer.alloc(0); // the end of a line that began before `start`
    let partial: Buffer | undefined; // after the file's last newline: a line still being written
    while (found.length < n && start > 0) {
      const len = Math.min(STEP, start);
      start -= len;
      const chunk = Buffer.alloc(len);
      readSync(this.fd, chunk, 0, len, start);
      let data = Buffer.concat([chunk, pending]);
      if (partial === undefined) {
        const lastNl = data.lastIndexOf(NL);
        if (lastNl < 0 && start > 0) {
          pending = data;
          continue;
        }
        partial = data.subarray(lastNl + 1);
        data = data.subarray(0, lastNl + 1);
      }
      if (start > 0) {
        const nl = data.indexOf(NL);
        if (nl < 0) {
          pending = data;
          continue;
        }
        pending = data.subarray(0, nl + 1);
        data = data.subarray(nl + 1);
      }
      const lines = data.toString().split("\n");
      for (let i = lines.length - 1; i >= 0 && found.length < n; i--) {
        const e = parseLine(lines[i]!);
        if (e && keep(e)) found.push(e);
      }
    }
    this.pos = size;
    this.rest = partial?.toString() ?? "";
    return found.reverse();
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

/** `ctr logs`: what is there (or its --tail), then with -f what comes, until the container stops. */
export async function readLogs(path: string, o: LogOptions, emit: (e: LogEntry) => void): Promise<void> {
  const keep = (e: LogEntry) => {
    const t = Date.parse(e.time);
    return (o.since === undefined || t >= o.since) && (o.until === undefined || t <= o.until);
  };
  const reader = new LogReader(path, false);
  try {
    const first = o.tail !== undefined && o.tail >= 0 ? reader.last(o.tail, keep) : reader.readNew().filter(keep);
    first.forEach(emit);
    if (o.follow) for await (const e of reader.follow(o.alive, () => false, 50)) if (keep(e)) emit(e);
  } finally {
    reader.close();
  }
}
