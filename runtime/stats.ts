// stats: one sample of a container's accounting, and Docker's arithmetic on
// two samples (CPU % needs an interval). A container that is not running
// samples as zeros, as `docker stats -a` shows it.
import { readHierarchies, type Hierarchy } from "../cgroup/mode.ts";
import { place } from "../cgroup/place.ts";
import { blkioStats } from "../cgroup/stats/blkio.ts";
import { cpuUsageNs, hostCpu } from "../cgroup/stats/cpu.ts";
import { hostMemory, memoryStats } from "../cgroup/stats/memory.ts";
import { netStats } from "../cgroup/stats/net.ts";
import { pidsCurrent } from "../cgroup/stats/pids.ts";
import type { ContainerRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

export interface Sample {
  running: boolean;
  cpuNs: number;
  systemNs: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

export interface Stats {
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  memPercent: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

/** A missing file (controller absent, container gone in between) counts as zero. */
function tryRead<T>(f: () => T, dflt: T): T {
  try {
    return f();
  } catch {
    return dflt;
  }
}

export function sample(rec: ContainerRecord, hs: Hierarchy[] = readHierarchies(), memTotal = hostMemory()): Sample {
  const live = liveState(rec);
  const host = hostCpu();
  const zero: Sample = { running: false, cpuNs: 0, ...host, memUsage: 0, memLimit: 0, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0, pids: 0 };
  if (live.status !== "running" && live.status !== "paused") return zero;
  const at = (c: Parameters<typeof place>[1]) => place(rec.cgroup, c, hs);
  const cpu = at("cpuacct"); // v1 cpuacct.usage, or v2 cpu.stat
  const mem = at("memory");
  const pids = at("pids");
  const blk = at("blkio");
  const m = mem ? tryRead(() => memoryStats(mem.dir, mem.version, memTotal), { usage: 0, limit: 0 }) : { usage: 0, limit: 0 };
  const b = blk ? tryRead(() => blkioStats(blk.dir, blk.version), { read: 0, write: 0 }) : { read: 0, write: 0 };
  // the host's network is not the container's: Docker shows nothing for --net host
  const n = rec.spec.network.mode === "host" ? { rx: 0, tx: 0 } : tryRead(() => netStats(live.pid), { rx: 0, tx: 0 });
  return {
    running: true,
    cpuNs: cpu ? tryRead(() => cpuUsageNs(cpu.dir, cpu.version), 0) : 0,
    ...host,
    memUsage: m.usage,
    memLimit: m.limit,
    netRx: n.rx,
    netTx: n.tx,
    blkRead: b.read,
    blkWrite: b.write,
    pids: pids ? tryRead(() => pidsCurrent(pids.dir), 0) : 0,
  };
}

/** Docker's formulas: CPU % = container delta / host delta x online CPUs x 100; MEM % = usage / limit x 100. */
export function computeStats(prev: Sample | undefined, cur: Sample): Stats {
  let cpuPercent = 0;
  if (prev && cur.running && prev.running) {
    const cpuDelta = cur.cpuNs - prev.cpuNs;
    const sysDelta = cur.systemNs - prev.systemNs;
    if (cpuDelta > 0 && sysDelta > 0) cpuPercent = (cpuDelta / sysDelta) * cur.onlineCpus * 100;
  }
  return {
    cpuPercent,
    memUsage: cur.memUsage,
    memLimit: cur.memLimit,
    memPercent: cur.memLimit > 0 ? (cur.memUsage / cur.memLimit) * 100 : 0,
    netRx: cur.netRx,
    netTx: cur.netTx,
    blkRead: cur.blkRead,
    blkWrite: cur.blkWrite,
    pids: cur.pids,
  };
}
