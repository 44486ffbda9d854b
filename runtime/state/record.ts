// The container record: one JSON file per container, written by rename so a
// reader never sees half of it. Runtime facts the monitor learns (init pid,
// exit status) live in their own files beside it (init.json, exit.json),
// written by the monitor, so no two writers ever share a file.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CgroupRef } from "../../cgroup/cgroup.ts";
import type { ContainerSpec } from "../../spec/types.ts";
import type { ResolvedUser } from "../process/user.ts";
import { containerDir, containersDir } from "./paths.ts";

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  spec: ContainerSpec;
  rootfs: string;
  hostname: string;
  argv: string[];
  env: string[];
  user: ResolvedUser;
  /** capability bounding set, hex */
  caps: string;
  cgroup: CgroupRef;
  logPath: string;
  monitorPid?: number;
  monitorStart?: number;
  /** set once `start` ran for a created container, or at `run` */
  started?: boolean;
  /** run from an image: its id and the name given; rootfs is then an overlay ctr mounted (image/overlay.ts) */
  image?: { id: string; name: string; exposedPorts?: string[] };
  /** brought back by `restore`: from which checkpoint (a container's own, or an exported file) and when */
  restoredFrom?: { checkpoint: string; created: string; restoredAt: string; from?: string };
}

export interface InitState {
  pid: number;
  starttime: number;
  monitorPid?: number;
  startedAt?: string;
  restartCount?: number;
  created?: boolean;
}

export interface ExitState {
  exitCode: number;
  signal: number;
  finishedAt: string;
  restartCount: number;
  /** the kernel's OOM killer killed in the container's memory cgroup during this run (the monitor compares oom_kill counts) */
  oomKilled?: boolean;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export function saveRecord(r: ContainerRecord): void {
  mkdirSync(containerDir(r.id), { recursive: true });
  writeJsonAtomic(join(containerDir(r.id), "record.json"), r);
}

export const loadRecord = (id: string) => readJson<ContainerRecord>(join(containerDir(id), "record.json"));
export const readInit = (id: string) => readJson<InitState>(join(containerDir(id), "init.json"));
export const readExit = (id: string) => readJson<ExitState>(join(containerDir(id), "exit.json"));

export function listIds(): string[] {
  if (!existsSync(containersDir())) return [];
  return readdirSync(containersDir()).filter((d) => /^[0-9a-f]{64}$/.test(d));
}

/**
 * Every container directory, with its record, or without one: a create
 * killed before its first save (or an image's overlay mounted, then killed)
 * leaves a directory that listings show as dead, so `rm -f` finds and
 * removes it. Newest first; a directory's own time stands in for `created`.
 */
export function listContainers(): { id: string; created: string; rec?: ContainerRecord }[] {
  const out = listIds().map((id) => {
    const rec = loadRecord(id);
    if (rec) return { id, created: rec.created, rec };
    let created = new Date(0).toISOString();
    try {
      created = statSync(containerDir(id)).mtime.toISOString();
    } catch {
      // removed meanwhile
    }
    return { id, created };
  });
  return out.sort((a, b) => b.created.localeCompare(a.created));
}
