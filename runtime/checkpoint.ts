// checkpoint: a running container's whole process tree dumped to disk by
// CRIU (as runc and Podman drive it), kept in the container's directory as
// checkpoint/ (CRIU's images plus ctr.json) for `restore`. Without
// --leave-running the container is gone afterwards (Exited, its record,
// cgroup, rootfs and network kept for the restore); a failed dump leaves it
// running and nothing half-written.
//
// No iterative pre-dump: it needs the kernel's soft-dirty page tracking,
// which this kernel lacks; each checkpoint is one full dump.
import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isManagedMode, netnsPath } from "../net/modes.ts";
import { type Criu, criuEnv, criuErrors, explainCriu, findCriu } from "./criu/binary.ts";
import { containerExternalMounts, mountKey } from "./criu/mounts.ts";
import { EngineError } from "./errors.ts";
import { waitExited } from "./lifecycle.ts";
import { withLock } from "./state/lock.ts";
import { containerDir, containerLock, stateRoot } from "./state/paths.ts";
import { type ContainerRecord, loadRecord, writeJsonAtomic } from "./state/record.ts";
import { liveState } from "./state/status.ts";

/** The key CRIU knows the container's network namespace by when ctr made it (bridge, user networks). */
export const NETNS_KEY = "ctr-netns";

/** What ctr adds to CRIU's images: enough to give back what CRIU leaves outside. */
export interface CheckpointMeta {
  created: string;
  criuVersion: string;
  /** where the init's fds 0-2 pointed ("pipe:[N]"): handed new pipes on restore */
  descriptors: string[];
  /** bind mounts from the host, by mount point inside; CRIU knows each as mountKey(target) */
  externalMounts: string[];
  /** the namespace was ctr's (net/), named to CRIU as external */
  externalNetns: boolean;
  /** its address on its first network then, asked for again on import */
  ip?: string;
  /** the container as it was, for an import on another host */
  record: ContainerRecord;
}

export const checkpointDir = (id: string) => join(containerDir(id), "checkpoint");
/** CRIU's log of the last dump or restore, kept beside the checkpoint (not in it) */
export const criuLog = (id: string, what: "dump" | "restore") => join(containerDir(id), `criu-${what}.log`);

export interface CheckpointOptions {
  leaveRunning: boolean;
  criu?: string;
}

/** Refuses, in one line, what ctr cannot checkpoint, before anything is touched. */
function checkable(rec: ContainerRecord, leaveRunning: boolean): void {
  const s = rec.spec;
  if (s.tty) throw new EngineError(`container ${rec.name} has a terminal (-t): its pty master is the monitor's, outside the container, and CRIU cannot dump it; run it without -t to checkpoint it`);
  const net = s.network.mode;
  if (net === "host" || net.startsWith("container:") || net.startsWith("ns:")) {
    throw new EngineError(`container ${rec.name} uses the network namespace of ${net === "host" ? "the host" : net}: CRIU can only checkpoint a container with its own (--net none, bridge or a user network)`);
  }
  for (const k of ["pid", "ipc", "uts"] as const) {
    const m = s.namespaces[k];
    if (m && m.mode !== "private") throw new EngineError(`container ${rec.name} shares its ${k} namespace (--${k} ${m.mode}): CRIU can only checkpoint a container with its own`);
  }
  if (s.autoRemove && !leaveRunning) throw new EngineError(`container ${rec.name} was started with --rm: its monitor would remove it, checkpoint included, once CRIU ends it`);
  if (s.namespaces.user?.mode === "private") throw new EngineError(`container ${rec.name} runs in a user namespace (--userns-remap): not supported by ctr's checkpoint yet`);
}

export async function checkpointContainer(rec: ContainerRecord, opts: CheckpointOptions): Promise<CheckpointMeta> {
  return withLock(containerLock(rec.id), async () => {
    rec = loadRecord(rec.id) ?? rec;
    const live = liveState(rec);
    if (live.status === "paused") throw new EngineError(`container ${rec.name} is paused: unpause it first`, 1);
    if (live.status !== "running") throw new EngineError(`container ${rec.name} is not running`, 1);
    checkable(rec, opts.leaveRunning);
    const criu = findCriu(opts.criu);
    const pid = live.pid;
    const descriptors = [0, 1, 2].map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    for (const [fd, d] of descriptors.entries()) {
      if (!d.startsWith("pipe:")) throw new EngineError(`container ${rec.name}: its fd ${fd} is ${d}, not a pipe of its monitor: cannot checkpoint it`);
    }
    const externalMounts = containerExternalMounts(pid);
    const externalNetns = isManagedMode(rec.spec.network.mode);
    const final = checkpointDir(rec.id);
    const tmp = `${final}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    // no restart by the monitor once CRIU has killed the tree
    const stopped = join(containerDir(rec.id), "stopped");
    const hadStopped = existsSync(stopped);
    if (!opts.leaveRunning) writeFileSync(stopped, "");
    try {
      runDump(criu, rec, pid, tmp, { externalMounts, externalNetns, leaveRunning: opts.leaveRunning });
    } catch (e) {
      if (!opts.leaveRunning && !hadStopped) rmSync(stopped, { force: true });
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    const meta: CheckpointMeta = { created: new Date().toISOString(), criuVersion: criu.version, descriptors, externalMounts, externalNetns, record: rec };
    if (externalNetns) {
      const { containerEndpoints } = await import("../net/container.ts");
      meta.ip = containerEndpoints(stateRoot(), rec.id)[0]?.endpoint.ip;
    }

    writeJsonAtomic(join(tmp, "ctr.json"), meta);
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    // the monitor records the tree's end; afterwards `ps -a` shows it Exited
    if (!opts.leaveRunning) await waitExited(rec, 10000);
    return meta;
  });
}

interface DumpInput {
  externalMounts: string[];
  externalNetns: boolean;
  /** its address on its first network then, asked for again on import */
  ip?: string;
  leaveRunning: boolean;
}

function runDump(criu: Criu, rec: ContainerRecord, pid: number, dir: string, d: DumpInput): void {
  const log = criuLog(rec.id, "dump");
  rmSync(log, { force: true });
  const args = [
    criu.path, "dump", "--tree", String(pid), "--images-dir", dir, "--work-dir", containerDir(rec.id), "--log-file", log, "-v4",
    "--manage-cgroups", "--network-lock", "skip",
  ];
  if (d.leaveRunning) args.push("--leave-running");
  for (const t of d.externalMounts) args.push("--ext-mount-map", `${t}:${mountKey(t)}`);
  if (d.externalNetns) args.push("--external", `net[${statSync(netnsPath(stateRoot(), rec.id)).ino}]:${NETNS_KEY}`);
  const p = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe", env: criuEnv() });
  if (p.exitCode !== 0) {
    const why = explainCriu(criuErrors(log)[0] ?? "") || (p.stderr.toString().trim().split("\n").pop() || `exit status ${p.exitCode}`);
    throw new EngineError(`checkpoint of ${rec.name} failed, the container keeps running: criu dump: ${why} (log: ${log})`);
  }
}
