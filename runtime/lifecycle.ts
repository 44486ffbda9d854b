// kill, stop, wait, pause: acting on a container that exists.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freezeCgroup, thawCgroup } from "../cgroup/cgroup.ts";
import { signalNumber } from "../spec/signals.ts";
import { EngineError } from "./errors.ts";
import { signal, waitGone } from "./remove.ts";
import { resolveRef } from "./state/names.ts";
import { withLock } from "./state/lock.ts";
import { containerDir, containerLock } from "./state/paths.ts";
import { type ContainerRecord, loadRecord, saveRecord } from "./state/record.ts";
import { type LiveState, liveState } from "./state/status.ts";
import { containerEvent, readJournal } from "./state/events.ts";

export function findContainer(ref: string): ContainerRecord {
  const id = resolveRef(ref);
  const rec = loadRecord(id);
  if (!rec) throw new EngineError(`No such container: ${ref}`, 1);
  return rec;
}

export function killContainer(rec: ContainerRecord, sig = "SIGKILL"): void {
  const live = liveState(rec);
  if (live.status !== "running" && live.status !== "paused" && live.status !== "created")
    throw new EngineError(`Cannot kill container: ${rec.id}: Container ${rec.id} is not running`, 1);
  const n = signalNumber(sig);
  // journalled first: the monitor's `die` may follow at once
  containerEvent(rec, "kill", { signal: String(n) });
  signal(live.pid, n);
  // as Docker: SIGKILL or the stop signal ends a paused container, so it is
  // thawed to receive it; any other signal waits, queued, for `unpause`
  if (live.status === "paused" && (n === 9 || n === signalNumber(rec.spec.stopSignal))) thawCgroup(rec.cgroup);
}

/** Freezes every process of the container; returns once the kernel reports them all stopped. */
export async function pauseContainer(rec: ContainerRecord): Promise<void> {
  await withLock(containerLock(rec.id), () => {
    const st = liveState(rec).status;
    if (st === "paused") throw new EngineError(`Container ${rec.id} is already paused`, 1);
    if (st !== "running") throw new EngineError(`Container ${rec.id} is not running`, 1);
    freezeCgroup(rec.cgroup);
  });
  containerEvent(rec, "pause");
}

export async function unpauseContainer(rec: ContainerRecord): Promise<void> {
  await withLock(containerLock(rec.id), () => {
    if (liveState(rec).status !== "paused") throw new EngineError(`Container ${rec.id} is not paused`, 1);
    thawCgroup(rec.cgroup);
  });
  containerEvent(rec, "unpause");
}

/** SIGTERM (or the stop signal), then SIGKILL after the timeout; no restart afterwards. */
export async function stopContainer(rec: ContainerRecord, timeoutSec?: number): Promise<void> {
  writeFileSync(join(containerDir(rec.id), "stopped"), "");
  const live = liveState(rec);
  if (!live.pid) {
    // between two runs of a restart policy: wake the monitor from its back-off;
    // it sees the marker and leaves
    if (live.status === "restarting" && rec.monitorPid) {
      signal(rec.monitorPid, "SIGTERM");
      await waitExited(rec, 10000);
    }
    containerEvent(rec, "stop");
    return;
  }
  const t = timeoutSec ?? rec.spec.stopTimeout;
  containerEvent(rec, "kill", { signal: String(signalNumber(rec.spec.stopSignal)) });
  signal(live.pid, signalNumber(rec.spec.stopSignal));
  if (live.status === "paused") thawCgroup(rec.cgroup);
  if (!(await waitGone(live.pid, live.init?.starttime, t * 1000))) {
    containerEvent(rec, "kill", { signal: "9" });
    signal(live.pid, "SIGKILL");
  }
  await waitGone(live.pid, live.init?.starttime, 10000);
  await waitExited(rec, 10000);
  containerEvent(rec, "stop");
}

/** Waits until the monitor has recorded the exit (or is gone). */
export async function waitExited(rec: ContainerRecord, timeoutMs = Infinity): Promise<LiveState> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const live = liveState(rec);
    if (live.status === "exited" || live.status === "dead") return live;
    if (Date.now() > end) return live;
    await Bun.sleep(10);
  }
}

export function exitCodeOf(live: LiveState): number {
  return live.exit?.exitCode ?? (live.status === "dead" ? 255 : 0);
}

/**
 * The exit code of a container that may have been removed meanwhile (a
 * --rm container's CLI or monitor removes it at once): its exit.json while
 * it is there, else the "die" event its monitor journalled before it told
 * anyone of the exit.
 */
export function finalExitCode(id: string, live: LiveState): number {
  if (live.exit || existsSync(containerDir(id))) return exitCodeOf(live);
  const { lines } = readJournal();
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (!l.includes(id) || !l.includes('"Action":"die"')) continue;
    try {
      const e = JSON.parse(l) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } };
      if (e.Action === "die" && e.Actor.ID === id) return Number(e.Actor.Attributes.exitCode);
    } catch {
      // a line cut short: keep looking
    }
  }
  return exitCodeOf(live);
}

/** For `start`: the created init is blocked opening exec.fifo for writing; reading it lets it exec. */
export function releaseCreated(rec: ContainerRecord): void {
  const fifo = join(containerDir(rec.id), "exec.fifo");
  if (!existsSync(fifo)) throw new EngineError(`container ${rec.name} is not in the created state`, 1);
  // journalled before the init is let go: it cannot die before its start is written
  containerEvent(rec, "start");
  readFileSync(fifo);
  rmSync(fifo, { force: true });
  saveRecord({ ...rec, started: true });
}
