// kill, stop, wait, pause: acting on a container that exists.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { signalNumber } from "../spec/signals.ts";
import { EngineError } from "./errors.ts";
import { signal, waitGone } from "./remove.ts";
import { resolveRef } from "./state/names.ts";
import { containerDir } from "./state/paths.ts";
import { type ContainerRecord, loadRecord } from "./state/record.ts";
import { type LiveState, liveState } from "./state/status.ts";

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
  signal(live.pid, signalNumber(sig));
}

/** SIGTERM (or the stop signal), then SIGKILL after the timeout; no restart afterwards. */
export async function stopContainer(rec: ContainerRecord, timeoutSec?: number): Promise<void> {
  writeFileSync(join(containerDir(rec.id), "stopped"), "");
  const live = liveState(rec);
  if (!live.pid) return;
  const t = timeoutSec ?? rec.spec.stopTimeout;
  signal(live.pid, signalNumber(rec.spec.stopSignal));
  if (!(await waitGone(live.pid, live.init?.starttime, t * 1000))) signal(live.pid, "SIGKILL");
  await waitGone(live.pid, live.init?.starttime, 10000);
  await waitExited(rec, 10000);
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
