// CPU time a cgroup has used, in nanoseconds: v1 cpuacct.usage, v2 cpu.stat
// usage_usec. And the host's own clock for the ratio: /proc/stat, as Docker
// computes CPU % (container time / host time x online CPUs).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** "usage_usec 123\nuser_usec ..." -> 123000 (ns) */
export function parseCpuStatV2(text: string): number {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : 0;
}

export function cpuUsageNs(dir: string, version: 1 | 2): number {
  if (version === 1) return Number(readFileSync(join(dir, "cpuacct.usage"), "utf8").trim());
  return parseCpuStatV2(readFileSync(join(dir, "cpu.stat"), "utf8"));
}

/** USER_HZ: 100 on every Linux architecture ctr builds for */
const CLOCK_TICKS = 100;

/** /proc/stat: the host's CPU time in ns (user..softirq, as Docker sums it) and the online CPU count. */
export function parseProcStat(text: string): { systemNs: number; onlineCpus: number } {
  let systemNs = 0;
  let onlineCpus = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu ")) {
      const f = line.trim().split(/\s+/).slice(1, 8).map(Number);
      systemNs = (f.reduce((a, b) => a + b, 0) * 1e9) / CLOCK_TICKS;
    } else if (/^cpu\d+ /.test(line)) onlineCpus++;
  }
  return { systemNs, onlineCpus };
}

export const hostCpu = () => parseProcStat(readFileSync("/proc/stat", "utf8"));
