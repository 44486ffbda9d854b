// One container's cgroup across every hierarchy of the host (v1, v2, hybrid):
// created with its limits before the init exists, joined by the executor
// before any user code runs, removed with the container.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ResourceSpec } from "../spec/types.ts";
import { cpuLimits, cpusetLimits } from "./controllers/cpu.ts";
import { memoryLimits } from "./controllers/memory.ts";
import { pidsLimits } from "./controllers/pids.ts";
import type { Limit } from "./controllers/write.ts";
import { type Hierarchy, readHierarchies } from "./mode.ts";

export class CgroupError extends Error {}

export const DEFAULT_PARENT = "ctr";

/** The directories of one cgroup, one per hierarchy. */
export interface CgroupRef {
  paths: string[];
  /** the hierarchy mount of each path: parents are pruned up to it */
  mounts: string[];
}

function limitsFor(h: Hierarchy, r: ResourceSpec): Limit[] {
  if (h.version === 2) {
    const has = (c: string) => h.controllers.includes(c);
    return [
      ...(has("memory") ? memoryLimits(r, 2) : []),
      ...(has("pids") ? pidsLimits(r) : []),
      ...(has("cpu") ? cpuLimits(r, 2) : []),
      ...(has("cpuset") ? cpusetLimits(r) : []),
    ];
  }
  const c = h.controllers;
  return [
    ...(c.includes("memory") ? memoryLimits(r, 1) : []),
    ...(c.includes("pids") ? pidsLimits(r) : []),
    ...(c.includes("cpu") ? cpuLimits(r, 1) : []),
    ...(c.includes("cpuset") ? cpusetLimits(r) : []),
  ];
}

/** Limits asked for that no hierarchy here can enforce: refuse rather than ignore. */
function unenforceable(hs: Hierarchy[], r: ResourceSpec): string | undefined {
  const has = (c: string) => hs.some((h) => h.controllers.includes(c));
  if ((r.memory !== undefined || r.memoryReservation !== undefined) && !has("memory")) return "memory";
  if (r.pidsLimit !== undefined && !has("pids")) return "pids";
  if ((r.cpus !== undefined || r.cpuQuota !== undefined || r.cpuShares !== undefined) && !has("cpu")) return "cpu";
  if ((r.cpusetCpus !== undefined || r.cpusetMems !== undefined) && !has("cpuset")) return "cpuset";
  if (r.kernelMemory !== undefined && !hs.some((h) => h.version === 1 && h.controllers.includes("memory")))
    return "kernel memory (not supported on cgroup v2)";
  return undefined;
}

/** v1 cpuset refuses tasks until cpus and mems are set: copy the parent's down. */
function initCpuset(dir: string) {
  for (const f of ["cpuset.cpus", "cpuset.mems"]) {
    const mine = join(dir, f);
    if (!existsSync(mine) || readFileSync(mine, "utf8").trim()) continue;
    writeFileSync(mine, readFileSync(join(dir, "..", f), "utf8").trim());
  }
}

export function createCgroup(relPath: string, r: ResourceSpec, hs: Hierarchy[] = readHierarchies()): CgroupRef {
  const missing = unenforceable(hs, r);
  if (missing) throw new CgroupError(`this host has no cgroup controller for the ${missing} limit`);
  const parts = relPath.split("/").filter(Boolean);
  const ref: CgroupRef = { paths: [], mounts: [] };
  try {
    for (const h of hs) {
      const dir = join(h.mount, ...parts);
      makeDir(h, parts);
      ref.paths.push(dir);
      ref.mounts.push(h.mount);
      for (const l of limitsFor(h, r)) {
        const f = join(dir, l.file);
        if (l.optional && !existsSync(f)) continue;
        try {
          writeFileSync(f, l.value);
        } catch (e) {
          throw new CgroupError(`write ${l.value} to ${f}: ${(e as NodeJS.ErrnoException).code}`);
        }
      }
    }
  } catch (e) {
    removeCgroup(ref);
    throw e;
  }
  return ref;
}

/** mkdir -p, tolerant of a concurrent `rm` removing an empty parent under us */
function makeDir(h: Hierarchy, parts: string[]) {
  for (let tries = 0; ; tries++) {
    try {
      let dir = h.mount;
      for (const p of parts) {
        dir = join(dir, p);
        if (!existsSync(dir)) mkdirSync(dir);
        if (h.controllers.includes("cpuset")) initCpuset(dir);
      }
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (tries > 5 || (code !== "ENOENT" && code !== "EEXIST")) throw e;
    }
  }
}

export function procsFiles(ref: CgroupRef): string[] {
  return ref.paths.map((p) => join(p, "cgroup.procs"));
}

export function cgroupPids(ref: CgroupRef): number[] {
  const pids = new Set<number>();
  for (const p of ref.paths) {
    try {
      for (const l of readFileSync(join(p, "cgroup.procs"), "utf8").split("\n")) if (l) pids.add(Number(l));
    } catch {}
  }
  return [...pids];
}

/** Kills what is left inside, then removes every directory; quiet if already gone. */
export function removeCgroup(ref: CgroupRef): void {
  for (let tries = 0; tries < 100; tries++) {
    let busy = false;
    for (const p of [...ref.paths].reverse()) {
      if (!existsSync(p)) continue;
      try {
        rmdirSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EBUSY") throw e;
        busy = true;
      }
    }
    if (!busy) return pruneParents(ref);
    for (const pid of cgroupPids(ref)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    Bun.sleepSync(10);
  }
  throw new CgroupError(`cgroup ${ref.paths[0]} is still busy`);
}

/** The shared default parent (ctr/) goes once empty; any other parent is the user's and stays. */
function pruneParents(ref: CgroupRef) {
  ref.paths.forEach((p, i) => {
    const top = ref.mounts[i]!;
    const d = dirname(p);
    if (d === join(top, DEFAULT_PARENT)) {
      try {
        rmdirSync(d);
      } catch {
        // still holds other containers
      }
    }
  });
}
