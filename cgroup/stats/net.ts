// Network bytes of a container, from its init's view of /proc/net/dev: every
// interface but lo, as Docker counts only the container's endpoints. Not a
// cgroup file, but part of what `stats` reports.
import { readFileSync } from "node:fs";

export interface NetStats {
  rx: number;
  tx: number;
}

/** /proc/PID/net/dev: two header lines, then "  name: rx_bytes packets ... (8 rx fields) tx_bytes ..." */
export function parseNetDev(text: string): NetStats {
  const s = { rx: 0, tx: 0 };
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    if (line.slice(0, colon).trim() === "lo") continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    s.rx += f[0] ?? 0;
    s.tx += f[8] ?? 0;
  }
  return s;
}

export function netStats(pid: number): NetStats {
  return parseNetDev(readFileSync(`/proc/${pid}/net/dev`, "utf8"));
}
