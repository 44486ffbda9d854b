// Memory a cgroup uses, as `docker stats` shows it: usage minus the inactive
// page cache (which the kernel reclaims first), against the limit, itself
// capped at the host's memory when there is none.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** "key value" lines (memory.stat, memory.events, cpu.stat) -> a map */
export function parseKeyed(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, v] = line.split(" ");
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

export interface MemoryStats {
  usage: number;
  limit: number;
}

/** v1 counts hierarchically under total_*; v2 names the same inactive_file. */
export function memoryStatsFrom(usage: number, limitText: string, statText: string, version: 1 | 2, hostTotal: number): MemoryStats {
  const stat = parseKeyed(statText);
  const inactive = stat.get(version === 1 ? "total_inactive_file" : "inactive_file") ?? 0;
  const raw = limitText.trim() === "max" ? Infinity : Number(limitText.trim());
  return {
    usage: inactive < usage ? usage - inactive : usage,
    limit: Math.min(raw, hostTotal),
  };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

export function memoryStats(dir: string, version: 1 | 2, hostTotal = hostMemory()): MemoryStats {
  const usage = Number(read(dir, version === 1 ? "memory.usage_in_bytes" : "memory.current").trim());
  const limit = read(dir, version === 1 ? "memory.limit_in_bytes" : "memory.max");
  return memoryStatsFrom(usage, limit, read(dir, "memory.stat"), version, hostTotal);
}

/** MemTotal from /proc/meminfo, in bytes */
export function parseMemTotal(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : Infinity;
}

export const hostMemory = () => parseMemTotal(readFileSync("/proc/meminfo", "utf8"));

/** How many times the OOM killer killed in this cgroup: "oom_kill N" of memory.oom_control (v1) or memory.events (v2). */
export function oomKills(dir: string, version: 1 | 2): number {
  return parseKeyed(readFileSync(oomCounterPath(dir, version), "utf8")).get("oom_kill") ?? 0;
}

export const oomCounterPath = (dir: string, version: 1 | 2) => join(dir, version === 1 ? "memory.oom_control" : "memory.events");
