// Reads the json-file log the monitor writes (one JSON object per line).
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

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const l of text.split("\n")) {
    if (!l) continue;
    try {
      out.push(JSON.parse(l) as LogEntry);
    } catch {}
  }
  return out;
}

export async function readLogs(path: string, o: LogOptions, emit: (e: LogEntry) => void): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return;
  }
  const keep = (e: LogEntry) => {
    const t = Date.parse(e.time);
    return (o.since === undefined || t >= o.since) && (o.until === undefined || t <= o.until);
  };
  let pos = 0;
  let rest = "";
  const readMore = (): LogEntry[] => {
    // by the open file, not its path: a --rm container's log is unlinked the
    // moment it is removed, and what it wrote last is still to be read
    const size = fstatSync(fd).size;
    if (size <= pos) return [];
    const buf = Buffer.alloc(size - pos);
    const n = readSync(fd, buf, 0, buf.length, pos);
    pos += n;
    const text = rest + buf.subarray(0, n).toString();
    const cut = text.lastIndexOf("\n") + 1;
    rest = text.slice(cut);
    return parseLines(text.slice(0, cut));
  };
  let first = readMore().filter(keep);
  if (o.tail !== undefined && o.tail >= 0) first = o.tail === 0 ? [] : first.slice(-o.tail);
  first.forEach(emit);
  while (o.follow) {
    const alive = o.alive();
    await Bun.sleep(50);
    readMore().filter(keep).forEach(emit);
    if (!alive) break;
  }
  closeSync(fd);
}
