// rm: stop what still runs, then remove the cgroup, the state and the name.
// Idempotent, so a crashed create, a racing `--rm` monitor and a user's
// `rm -f` can all call it.
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeCgroup, thawCgroup } from "../cgroup/cgroup.ts";
import { holdsLease, isManagedMode, netContext } from "../net/modes.ts";
import { EngineError } from "./errors.ts";
import { releaseName } from "./state/names.ts";
import { containerDir, containerLock, containersDir, stateRoot } from "./state/paths.ts";
import { flock, LOCK_EX, LOCK_NB } from "./sys/libc.ts";
import { isAlive } from "./state/proc.ts";
import { type ContainerRecord, loadRecord, readExit, readInit } from "./state/record.ts";
import { liveState } from "./state/status.ts";
import { withLock } from "./state/lock.ts";
import { containerEvent } from "./state/events.ts";

export interface RemoveOptions {
  force: boolean;
  quiet?: boolean;
  /** the caller saw the monitor report the exit: it is only waiting for us, not to be waited for */
  monitorExited?: boolean;
  /** and the monitor said it left nothing of the container's network behind (a --rm container on the default network) */
  netUndone?: boolean;
}

export async function removeContainer(id: string, opts: RemoveOptions): Promise<void> {
  await withLock(containerLock(id), async () => {
    const rec = loadRecord(id);
    if (!rec) {
      await teardownNet(id);
      // a create killed between mounting an image's overlay and writing the record
      if (existsSync(join(containerDir(id), "upper"))) await unmountImageRootfs(id);
      rmSync(containerDir(id), { recursive: true, force: true });
      return;
    }
    // an attached --rm: the monitor reported the init's exit and restarts
    // nothing (--rm excludes --restart), so there is nothing to stop first
    if (!opts.monitorExited) await stopForRemoval(rec, opts.force);
    removeCgroup(rec.cgroup);
    if (needsNetTeardown(rec, opts)) await teardownNet(id);
    // before the directory goes: the overlay must not be walked by rmSync
    if (rec.image) await unmountImageRootfs(id);
    // the name before the directory: an rm killed in between leaves a record
    // that the next rm -f finds, not a name that points nowhere
    releaseName(rec.name, id);
    rmSync(containerDir(id), { recursive: true, force: true });
    containerEvent(rec, "destroy");
  });
  rmSync(containerLock(id), { force: true });
}

/**
 * Lock files of containers that are gone (an rm killed between removing the
 * directory and its lock): removed when nobody holds them. Called by the rm
 * verbs, not by every `run --rm`.
 */
export function sweepStaleLocks(): void {
  let entries: string[];
  try {
    entries = readdirSync(containersDir());
  } catch {
    return;
  }
  for (const f of entries) {
    const m = /^\.([0-9a-f]{64})\.lock$/.exec(f);
    if (!m || existsSync(containerDir(m[1]!))) continue;
    const path = join(containersDir(), f);
    try {
      const fd = openSync(path, "r");
      try {
        if (flock(fd, LOCK_EX | LOCK_NB, path)) rmSync(path, { force: true });
      } finally {
        closeSync(fd);
      }
    } catch {
      // gone meanwhile
    }
  }
}

/** Refuses a live container without force; else ends its init (no restarts from here on) and waits for its monitor to leave. */
async function stopForRemoval(rec: ContainerRecord, force: boolean): Promise<void> {
  const live = liveState(rec);
  if (["running", "paused", "restarting", "created", "creating"].includes(live.status) && !force) {
    throw new EngineError(
      `You cannot remove a ${live.status} container ${rec.id}. Stop the container before attempting removal or force remove`,
      1,
    );
  }
  try {
    writeFileSync(join(containerDir(rec.id), "stopped"), "");
  } catch {}
  if (live.pid) signal(live.pid, "SIGKILL");
  // a v1-frozen init takes its SIGKILL only once thawed
  if (live.status === "paused") thawCgroup(rec.cgroup);
  // the monitor records the exit, then leaves, or (an attached --rm, the
  // daemon's) waits for its CLI to let go of the report channel, a CLI that
  // may be waiting for this very lock: either way, once the exit is
  // recorded nothing more of it touches the directory, unless it restarts
  // containers (it may be starting the next run now: wait for it to see
  // "stopped" and leave). If it is this rm's own parent (its ON_EXIT rm), it
  // has recorded the exit already.
  if (rec.monitorPid && rec.monitorPid !== process.pid) {
    const noRestarts = rec.spec.restart.name === "no";
    const settled = () => !isAlive(rec.monitorPid!, rec.monitorStart) || (noRestarts && exitRecorded(rec.id));
    for (const end = Date.now() + 10000; !settled() && Date.now() < end; ) await Bun.sleep(5);
    if (!settled()) signal(rec.monitorPid, "SIGKILL");
  }
}

/** The monitor has written this run's exit (a restarted container's earlier exit does not count). */
function exitRecorded(id: string): boolean {
  const exit = readExit(id);
  return !!exit && (readInit(id)?.restartCount ?? 0) === exit.restartCount;
}

export function signal(pid: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

export async function waitGone(pid: number, starttime: number | undefined, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isAlive(pid, starttime)) {
    if (Date.now() > end) return false;
    await Bun.sleep(5);
  }
  return true;
}

/**
 * Whether rm has network work to do: not for --net none or host, nor when
 * the monitor undid it all (a --rm container on the default network) and no
 * port was published and no network connected since (a lease it did not know).
 */
function needsNetTeardown(rec: ContainerRecord, opts: RemoveOptions): boolean {
  const n = rec.spec.network;
  if (!isManagedMode(n.mode) && n.ports.length === 0) return false;
  return !(opts.netUndone && n.ports.length === 0 && !n.publishAll && !holdsLease(stateRoot(), rec.id));
}

/** The network layer is loaded only for containers that have one (see net/modes.ts). */
async function teardownNet(id: string): Promise<void> {
  const { teardownContainerNet } = await import("../net/teardown.ts");
  await teardownContainerNet(netContext(stateRoot()), id);
}

/** Only containers made from an image load the image code. */
async function unmountImageRootfs(id: string): Promise<void> {
  const { unmountOverlay } = await import("../image/overlay.ts");
  unmountOverlay(containerDir(id));
}
