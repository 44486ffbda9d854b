// restore: a checkpointed container brought back by CRIU, same PIDs inside
// its new PID namespace, under a new monitor (the executor in restore mode
// runs `criu restore --restore-sibling`, so the restored init is its child:
// it holds the new stdio pipes, continues the json log and records the exit,
// as for any container). What CRIU leaves outside is given back by ctr: the
// rootfs (--root), the stdio pipes (--inherit-fd), the bind mounts from the
// host (--ext-mount-map), the network namespace ctr made (--inherit-fd), the
// cgroup (--cgroup-root). A failed restore leaves the checkpoint as it was.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { oomCounter } from "../cgroup/cgroup.ts";
import { netnsPath } from "../net/modes.ts";
import { type CheckpointMeta, checkpointDir, criuLog, NETNS_KEY } from "./checkpoint.ts";
import { type Criu, criuErrors, findCriu } from "./criu/binary.ts";
import { mountKey } from "./criu/mounts.ts";
import { EngineError } from "./errors.ts";
import { spawnExecutor } from "./executor.ts";
import { buildRestorePlan } from "./plan.ts";
import { withLock } from "./state/lock.ts";
import { containerDir, containerLock, stateRoot } from "./state/paths.ts";
import { procStartTime } from "./state/proc.ts";
import { type ContainerRecord, loadRecord, saveRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

export interface RestoreOptions {
  criu?: string;
}

export function readMeta(dir: string): CheckpointMeta {
  const f = join(dir, "ctr.json");
  if (!existsSync(f)) throw new EngineError(`${dir}: not a ctr checkpoint (no ctr.json)`, 1);
  return JSON.parse(readFileSync(f, "utf8")) as CheckpointMeta;
}

/** Where each bind mount from the host comes from now, by its mount point inside. */
function mountSources(rec: ContainerRecord, meta: CheckpointMeta): Map<string, string> {
  const src = new Map<string, string>();
  const dir = containerDir(rec.id);
  // net/'s files (net/container.ts) live in the container's directory
  for (const [t, f] of [["/etc/hosts", "hosts"], ["/etc/hostname", "hostname"], ["/etc/resolv.conf", "resolv.conf"]] as const) {
    if (existsSync(join(dir, f))) src.set(t, join(dir, f));
  }
  for (const m of rec.spec.mounts) if (m.type === "bind" && m.source) src.set(m.target, m.source);
  for (const t of meta.externalMounts) {
    if (!src.has(t)) throw new EngineError(`cannot restore ${rec.name}: the checkpoint has a bind mount on ${t} whose source ctr does not know`, 1);
    if (!existsSync(src.get(t)!)) throw new EngineError(`cannot restore ${rec.name}: the source of its bind mount on ${t}, ${src.get(t)}, is missing`, 1);
  }
  return src;
}

/** The criu argv and what its fds 3.. are. */
function restoreArgs(criu: Criu, rec: ContainerRecord, meta: CheckpointMeta, images: string, pidFile: string, cgroupRoot?: string): { argv: string[]; inherit: string[] } {
  const argv = [
    criu.path, "restore", "--images-dir", images, "--work-dir", containerDir(rec.id), "--log-file", criuLog(rec.id, "restore"), "-v4",
    "--root", rec.rootfs, "--restore-detached", "--restore-sibling", "--pidfile", pidFile,
    "--manage-cgroups", "--network-lock", "skip",
  ];
  const inherit: string[] = [];
  const names = ["stdin", "stdout", "stderr"];
  for (const [fd, d] of meta.descriptors.entries()) {
    argv.push("--inherit-fd", `fd[${3 + inherit.length}]:${d}`);
    inherit.push(names[fd]!);
  }
  if (meta.externalNetns) {
    argv.push("--inherit-fd", `fd[${3 + inherit.length}]:${NETNS_KEY}`);
    inherit.push(netnsPath(stateRoot(), rec.id));
  }
  const src = mountSources(rec, meta);
  for (const t of meta.externalMounts) argv.push("--ext-mount-map", `${mountKey(t)}:${src.get(t)}`);
  if (cgroupRoot) argv.push("--cgroup-root", cgroupRoot);
  return { argv, inherit };
}

/** Starts the restore monitor for a container whose record, rootfs, cgroup and network are in place. */
export async function runRestore(rec: ContainerRecord, meta: CheckpointMeta, images: string, criu: Criu, cgroupRoot?: string): Promise<number> {
  const dir = containerDir(rec.id);
  const pidFile = join(dir, "restore.pid");
  rmSync(pidFile, { force: true });
  const { argv, inherit } = restoreArgs(criu, rec, meta, images, pidFile, cgroupRoot);
  const steps = buildRestorePlan({ stateDir: dir, logPath: rec.logPath, oomCounter: oomCounter(rec.cgroup), criuArgv: argv, pidFile, inherit });
  const executor = await spawnExecutor(steps, { inheritStdio: false });
  rec.monitorPid = executor.monitorPid;
  rec.monitorStart = procStartTime(executor.monitorPid);
  const r = executor.next();
  if (!r || r.kind !== "pid") {
    await executor.proc.exited;
    const log = criuLog(rec.id, "restore");
    const why = r?.kind === "error" && r.step === -4
      ? `criu restore: ${criuErrors(log)[0] ?? `exit status ${r.errno}`} (log: ${log})`
      : r?.kind === "error" && r.step === -5 ? "criu restore did not make the restored init the monitor's child"
      : r?.kind === "error" ? `executor: ${r.errno}` : "the monitor exited early";
    throw new EngineError(`restore of ${rec.name} failed, the checkpoint is kept: ${why}`);
  }
  executor.close();
  return r.pid;
}

/** `ctr restore NAME`: the container's own checkpoint, in place (same id, cgroup, rootfs, network). */
export async function restoreInPlace(rec: ContainerRecord, opts: RestoreOptions): Promise<number> {
  return withLock(containerLock(rec.id), async () => {
    rec = loadRecord(rec.id) ?? rec;
    const status = liveState(rec).status;
    if (status !== "exited" && status !== "dead") throw new EngineError(`container ${rec.name} is ${status}: only a stopped container can be restored`, 1);
    const images = checkpointDir(rec.id);
    if (!existsSync(images)) throw new EngineError(`container ${rec.name} has no checkpoint: ctr checkpoint ${rec.name} first`, 1);
    const meta = readMeta(images);
    const criu = findCriu(opts.criu);
    const stopped = join(containerDir(rec.id), "stopped");
    rmSync(stopped, { force: true });
    const pid = await runRestore(rec, meta, images, criu);
    rec.restoredFrom = { checkpoint: images, created: meta.created, restoredAt: new Date().toISOString() };
    rec.started = true;
    saveRecord(rec);
    return pid;
  });
}
