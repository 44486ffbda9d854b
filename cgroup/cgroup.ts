// One container's cgroup across every hierarchy of the host (v1, v2, hybrid):
// created with its limits before the init exists, joined by the executor
// before any user code runs, removed with the container.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ResourceSpec } from "../spec/types.ts";
import { blkioLimits, DeviceError, wantsBlkio } from "./controllers/blkio.ts";
import { cpuLimits, cpusetLimits } from "./controllers/cpu.ts";
import { freeze, freezerState, thaw } from "./controllers/freezer.ts";
import { DEFAULT_DEVICE_RULES, deviceLimits } from "./controllers/devices.ts";
import { assembleDeviceFilter, parseDeviceRule } from "./controllers/devices-bpf.ts";
import { attachDeviceFilter } from "../runtime/sys/libc.ts";
import { memoryLimits } from "./controllers/memory.ts";
import { pidsLimits } from "./controllers/pids.ts";
import type { Limit } from "./controllers/write.ts";
import { type Hierarchy, readHierarchies } from "./mode.ts";
import { oomCounterPath } from "./stats/memory.ts";
import { enabledV2, place, unifiedDir } from "./place.ts";

export class CgroupError extends Error {}

export const DEFAULT_PARENT = "ctr";

/** The directories of one cgroup, one per hierarchy. */
export interface CgroupRef {
  paths: string[];
  /** the hierarchy mount of each path: parents are pruned up to it */
  mounts: string[];
  /** parent directories ctr made for this container (--cgroup-parent): removed with it once empty */
  created?: string[];
}

/** The v2 controllers ctr enables down to a container, for its limits and its stats. */
const V2_CONTROLLERS = ["cpuset", "cpu", "io", "memory", "pids"];

/** Which controllers a spec's limits need, by v1 name and v2 name. */
const NEEDS: { v1: string; v2: string; what: string; wants: (r: ResourceSpec) => boolean }[] = [
  { v1: "memory", v2: "memory", what: "memory", wants: (r) => r.memory !== undefined || r.memoryReservation !== undefined || r.memorySwap !== undefined },
  { v1: "pids", v2: "pids", what: "pids", wants: (r) => r.pidsLimit !== undefined },
  { v1: "cpu", v2: "cpu", what: "cpu", wants: (r) => r.cpus !== undefined || r.cpuQuota !== undefined || r.cpuShares !== undefined },
  { v1: "cpuset", v2: "cpuset", what: "cpuset", wants: (r) => r.cpusetCpus !== undefined || r.cpusetMems !== undefined },
  { v1: "blkio", v2: "io", what: "block I/O", wants: wantsBlkio },
];

/** v1 controllers: from the hierarchy; v2: those enabled for the directory itself. */
function limitsFor(h: Hierarchy, dir: string, r: ResourceSpec): Limit[] {
  const version = h.version;
  const ctrls = version === 2 ? enabledV2(dir) : h.controllers;
  const has = (c: string) => ctrls.includes(c);
  const file = (f: string) => existsSync(join(dir, f));
  return [
    ...(has("memory") ? memoryLimits(r, version) : []),
    ...(has("pids") ? pidsLimits(r) : []),
    ...(has("cpu") ? cpuLimits(r, version) : []),
    ...(has("cpuset") ? cpusetLimits(r) : []),
    ...(has(version === 2 ? "io" : "blkio") ? blkioLimits(r, version, file) : []),
    ...(version === 1 && has("devices") ? deviceLimits(r) : []),
  ];
}

/** Limits asked for that no hierarchy here can enforce: refuse rather than ignore. */
function unenforceable(hs: Hierarchy[], r: ResourceSpec, v2dirs: string[]): string | undefined {
  if (r.kernelMemory !== undefined && !hs.some((h) => h.version === 1 && h.controllers.includes("memory")))
    return "--kernel-memory is not supported on cgroup v2 (the kernel counts kernel memory in --memory there); remove it";
  for (const n of NEEDS) {
    if (!n.wants(r)) continue;
    if (hs.some((h) => h.version === 1 && h.controllers.includes(n.v1))) continue;
    if (v2dirs.some((d) => enabledV2(d).includes(n.v2))) continue;
    const v2 = v2dirs[0];
    if (v2 && hs.some((h) => h.version === 2 && h.controllers.includes(n.v2)))
      return `the ${n.v2} controller is not enabled for ${v2} (enable it in ${dirname(v2)}/cgroup.subtree_control)`;
    return `this host has no cgroup controller for the ${n.what} limit`;
  }
  return undefined;
}

/** v1 cpuset refuses tasks until cpus and mems are set: copy the parent's down. False if the parent has none either. */
function initCpuset(dir: string): boolean {
  for (const f of ["cpuset.cpus", "cpuset.mems"]) {
    const mine = join(dir, f);
    if (!existsSync(mine) || readFileSync(mine, "utf8").trim()) continue;
    const parent = readFileSync(join(dir, "..", f), "utf8").trim();
    if (!parent) return false;
    writeFileSync(mine, parent);
  }
  return true;
}

/** v2: a controller reaches a cgroup only when every ancestor enables it for its children. */
function enableSubtree(dir: string) {
  const ctl = join(dir, "cgroup.subtree_control");
  let on: string[];
  try {
    on = readFileSync(ctl, "utf8").trim().split(/\s+/);
  } catch {
    return;
  }
  const missing = enabledV2(dir).filter((c) => V2_CONTROLLERS.includes(c) && !on.includes(c));
  if (missing.length === 0) return;
  try {
    writeFileSync(ctl, missing.map((c) => `+${c}`).join(" "));
  } catch {
    // one at a time: a parent holding processes refuses some (EBUSY); the
    // limits that need a missing controller say so afterwards
    for (const c of missing) {
      try {
        writeFileSync(ctl, `+${c}`);
      } catch {}
    }
  }
}

/** `a/b/c` relative to each hierarchy, never above it. */
export function cgroupParts(relPath: string): string[] {
  const parts = relPath.split("/").filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === "." || p === ".."))
    throw new CgroupError(`invalid cgroup path ${JSON.stringify(relPath)}: use a path like ctr or a/b, without . or ..`);
  return parts;
}

/** What createCgroup does to the kernel beyond files: a fake in unit tests records it. */
export interface CgroupSys {
  attachDeviceFilter(cgroupDir: string, program: Uint8Array): void;
}

const KERNEL: CgroupSys = { attachDeviceFilter };

export function createCgroup(relPath: string, r: ResourceSpec, hs: Hierarchy[] = readHierarchies(), sys: CgroupSys = KERNEL): CgroupRef {
  const parts = cgroupParts(relPath);
  const ref: CgroupRef = { paths: [], mounts: [], created: [] };
  try {
    for (const h of hs) {
      const dir = join(h.mount, ...parts);
      ref.paths.push(dir);
      ref.mounts.push(h.mount);
      makeDir(h, parts, ref.created!);
    }
    const missing = unenforceable(hs, r, ref.paths.filter((_, i) => hs[i]!.version === 2));
    if (missing) throw new CgroupError(missing);
    hs.forEach((h, i) => {
      const dir = ref.paths[i]!;
      for (const l of limitsFor(h, dir, r)) writeLimit(dir, l);
    });
    applyDeviceFilter(hs, ref.paths, r, sys);
  } catch (e) {
    try {
      removeCgroup(ref, hs);
    } catch {
      // the first error is the one to report
    }
    if (e instanceof DeviceError) throw new CgroupError(e.message);
    throw e;
  }
  return ref;
}

/** New limits for a container's existing cgroup (`ctr oci update`): only those r names; the device list stays as it is. */
export function updateCgroup(ref: CgroupRef, r: ResourceSpec, hs: Hierarchy[] = readHierarchies()): void {
  const dirs = hs.map((h) => ref.paths[ref.mounts.indexOf(h.mount)]);
  const missing = unenforceable(hs, r, dirs.filter((d, i): d is string => !!d && hs[i]!.version === 2));
  if (missing) throw new CgroupError(missing);
  hs.forEach((h, i) => {
    const dir = dirs[i];
    if (!dir) return;
    for (const l of limitsFor(h, dir, { ...r, deviceCgroupRules: undefined })) if (!l.file.startsWith("devices.")) writeLimit(dir, l);
  });
}

function writeLimit(dir: string, l: Limit) {
  const f = join(dir, l.file);
  if (l.optional && !existsSync(f)) return;
  try {
    writeFileSync(f, l.value);
  } catch (e) {
    throw new CgroupError(`write ${l.value} to ${f}: ${(e as NodeJS.ErrnoException).code}`);
  }
  // some files accept a write and ignore it (memory.kmem.* since Linux 6.1)
  if (l.ignoredMessage) {
    const got = Number(readFileSync(f, "utf8").trim());
    const want = Number(l.value);
    if (Math.abs(got - want) >= 4096) throw new CgroupError(l.ignoredMessage);
  }
}

/** mkdir -p, tolerant of a concurrent `rm` removing an empty parent under us */
function makeDir(h: Hierarchy, parts: string[], created: string[]) {
  // the common case: nothing to hand down (v1 but cpuset, v2 without
  // controllers as on a hybrid host): one recursive mkdir, which says where it
  // began and throws nothing for what is there (a thrown ENOENT per hierarchy
  // cost ~0.3 ms each)
  if ((h.version === 1 && !h.controllers.includes("cpuset")) || (h.version === 2 && h.controllers.length === 0)) {
    for (let tries = 0; ; tries++) {
      try {
        const first = mkdirSync(join(h.mount, ...parts), { recursive: true });
        if (first) recordParents(h.mount, parts, first, created);
        return;
      } catch (e) {
        if (tries > 5 || (e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
  }
  for (let tries = 0; ; tries++) {
    try {
      let dir = h.mount;
      parts.forEach((p, i) => {
        if (h.version === 2) enableSubtree(dir);
        dir = join(dir, p);
        const made = !existsSync(dir);
        if (made) {
          mkdirSync(dir);
          // the default parent is shared and pruned by name; a leaf goes with its container
          if (i < parts.length - 1 && !(i === 0 && p === DEFAULT_PARENT)) created.push(dir);
        }
        // v1 only: a v2 cpuset with empty files uses its parent's (the root has no such files)
        if (h.version === 1 && h.controllers.includes("cpuset")) {
          initCpuset(dir);
          // a parent of ctr's own: the kernel fills in each new child's cpus and mems itself
          if (made && i < parts.length - 1) writeFileSync(join(dir, "cgroup.clone_children"), "1");
        }
      });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (tries > 5 || (code !== "ENOENT" && code !== "EEXIST")) throw e;
    }
  }
}

/** The parents made from `first` down, but the leaf and the shared default parent: rm removes them once empty. */
function recordParents(mount: string, parts: string[], first: string, created: string[]) {
  let dir = mount;
  parts.slice(0, -1).forEach((p, i) => {
    dir = join(dir, p);
    if (dir.length >= first.length && !(i === 0 && p === DEFAULT_PARENT)) created.push(dir);
  });
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

/** The file whose "oom_kill N" counts OOM kills in the container (the monitor reads it), if it has a memory cgroup. */
export function oomCounter(ref: CgroupRef, hs: Hierarchy[] = readHierarchies()): string | undefined {
  const m = place(ref, "memory", hs);
  return m && oomCounterPath(m.dir, m.version);
}

/** Stops the container's processes for good: cgroup.kill where the kernel has it, else freeze, SIGKILL each, thaw. */
export function killCgroup(ref: CgroupRef, hs: Hierarchy[] = readHierarchies()): void {
  const v2 = unifiedDir(ref, hs);
  if (v2 && existsSync(join(v2, "cgroup.kill"))) {
    try {
      writeFileSync(join(v2, "cgroup.kill"), "1");
      return thawCgroup(ref, hs);
    } catch {}
  }
  const fz = place(ref, "freezer", hs);
  try {
    if (fz) freeze(fz.dir, fz.version, 1000);
  } catch {}
  for (const pid of cgroupPids(ref)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  // SIGKILL is delivered to a v1-frozen task only once it thaws
  thawCgroup(ref, hs);
}

/** Freezes the container, waiting until the kernel reports every task stopped. */
export function freezeCgroup(ref: CgroupRef, hs: Hierarchy[] = readHierarchies()): void {
  const fz = place(ref, "freezer", hs);
  if (!fz) throw new CgroupError("this host has no cgroup freezer (no v1 freezer hierarchy, no cgroup.freeze)");
  freeze(fz.dir, fz.version);
}

/** Thaws the container if it is frozen; quiet when there is nothing to thaw. */
export function thawCgroup(ref: CgroupRef, hs: Hierarchy[] = readHierarchies()): void {
  const fz = place(ref, "freezer", hs);
  if (!fz || !existsSync(fz.dir)) return;
  if (freezerState(fz.dir, fz.version) !== "THAWED") thaw(fz.dir, fz.version);
}

/** Kills what is left inside, then removes every directory; quiet if already gone. */
export function removeCgroup(ref: CgroupRef, hs?: Hierarchy[]): void {
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
    killCgroup(ref, (hs ??= readHierarchies()));
    Bun.sleepSync(10);
  }
  throw new CgroupError(`cgroup ${ref.paths[0]} still holds processes ${cgroupPids(ref).join(", ") || "(exiting)"} after SIGKILL; not removed`);
}

/**
 * Parents ctr made for this container (--cgroup-parent) go once empty,
 * deepest first; a parent that was already there is the user's and stays.
 * The shared default parent (ctr/) stays too, as Docker's docker/ does:
 * making a top-level v1 cpuset cgroup costs the kernel 2-4 ms here, each
 * time, where a child of an existing one takes 0.1 ms.
 */
function pruneParents(ref: CgroupRef) {
  for (const d of [...(ref.created ?? [])].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      // still holds other containers, or already gone
    }
  }
}

/** Removes the shared default parent from every hierarchy where it is empty (tests and benchmarks that made it). */
export function removeDefaultParents(hs: Hierarchy[] = readHierarchies()): void {
  for (const h of hs) {
    try {
      rmdirSync(join(h.mount, DEFAULT_PARENT));
    } catch {
      // holds containers, or was never made
    }
  }
}

/**
 * cgroup v2 has no devices.allow: the allow-list is a BPF program attached to
 * the container's v2 directory, the only guard on a pure v2 host (its failure
 * fails the container). On a hybrid host the v1 devices controller enforces
 * the same list and the kernel checks both, so the program would only repeat
 * it: not attached there (as runc), which saves ~3 ms of every start.
 */
function applyDeviceFilter(hs: Hierarchy[], paths: string[], r: ResourceSpec, sys: CgroupSys): void {
  if (r.devicesAllowAll) return;
  const i = hs.findIndex((h) => h.version === 2);
  if (i < 0 || hs.some((h) => h.version === 1 && h.controllers.includes("devices"))) return;
  try {
    const rules = [...DEFAULT_DEVICE_RULES, ...(r.deviceCgroupRules ?? [])].map(parseDeviceRule);
    sys.attachDeviceFilter(paths[i]!, assembleDeviceFilter(rules));
  } catch (e) {
    throw new CgroupError(`device allow-list for ${paths[i]}: ${(e as Error).message}`);
  }
}
