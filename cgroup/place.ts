// Where one container's files for a controller are. This is the whole of the
// difference between the drivers: on v1 each controller has a hierarchy of
// its own; on v2 they share the unified directory (when enabled there); a
// hybrid host has v1 controllers and a controller-less v2 tree, so v1 wins
// and v2 serves what only it offers (e.g. cgroup.kill).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hierarchy } from "./mode.ts";

export type Controller = "memory" | "cpu" | "cpuacct" | "cpuset" | "pids" | "blkio" | "freezer" | "devices";

export interface Place {
  dir: string;
  version: 1 | 2;
}

/** v1 controller name -> on v2, the controller with those files, or the core file that serves without one. */
const V2: Record<Controller, { ctrl: string } | { core: string } | undefined> = {
  memory: { ctrl: "memory" },
  cpu: { ctrl: "cpu" },
  cpuacct: { core: "cpu.stat" }, // usage_usec is kept even without the cpu controller
  cpuset: { ctrl: "cpuset" },
  pids: { ctrl: "pids" },
  blkio: { ctrl: "io" },
  freezer: { core: "cgroup.freeze" },
  devices: undefined, // a BPF program on v2, not files
};

export interface CgroupDirs {
  paths: string[];
  mounts: string[];
}

/** The v2 controllers enabled for this directory, read from its cgroup.controllers. */
export function enabledV2(dir: string): string[] {
  try {
    return readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

export function place(ref: CgroupDirs, ctrl: Controller, hs: Hierarchy[]): Place | undefined {
  const byMount = new Map(hs.map((h) => [h.mount, h]));
  for (let i = 0; i < ref.paths.length; i++) {
    const h = byMount.get(ref.mounts[i]!);
    if (h?.version === 1 && h.controllers.includes(ctrl)) return { dir: ref.paths[i]!, version: 1 };
  }
  const v2 = V2[ctrl];
  if (v2 === undefined) return undefined;
  for (let i = 0; i < ref.paths.length; i++) {
    const h = byMount.get(ref.mounts[i]!);
    if (h?.version !== 2) continue;
    const dir = ref.paths[i]!;
    if ("core" in v2 ? existsSync(join(dir, v2.core)) : enabledV2(dir).includes(v2.ctrl)) return { dir, version: 2 };
  }
  return undefined;
}

/** The container's directory in the unified (v2) tree, if the host has one. */
export function unifiedDir(ref: CgroupDirs, hs: Hierarchy[]): string | undefined {
  const v2 = new Set(hs.filter((h) => h.version === 2).map((h) => h.mount));
  const i = ref.mounts.findIndex((m) => v2.has(m));
  return i < 0 ? undefined : ref.paths[i];
}
