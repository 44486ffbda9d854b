// A container's status, derived each time from what is really there (the
// record, the monitor's files, the processes), never cached: `ps` cannot show
// a dead container as running.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freezerState, freezerVersion } from "../../cgroup/controllers/freezer.ts";
import { containerDir } from "./paths.ts";
import { isAlive } from "./proc.ts";
import { type ContainerRecord, type ExitState, type InitState, readExit, readInit } from "./record.ts";

export type Status = "creating" | "created" | "running" | "paused" | "restarting" | "exited" | "dead";

export interface LiveState {
  status: Status;
  pid: number;
  init?: InitState;
  exit?: ExitState;
  monitorAlive: boolean;
}

/** Paused once the kernel reports the freeze complete (v1 FROZEN, v2 "frozen 1"), not merely asked. */
function frozen(rec: ContainerRecord): boolean {
  return rec.cgroup.paths.some((p) => {
    try {
      const v = freezerVersion(p);
      return v !== undefined && freezerState(p, v) === "FROZEN";
    } catch {
      return false;
    }
  });
}

export function liveState(rec: ContainerRecord): LiveState {
  const init = readInit(rec.id);
  const exit = readExit(rec.id);
  const monitorAlive = isAlive(rec.monitorPid, rec.monitorStart);
  const running = init ? isAlive(init.pid, init.starttime) : false;
  let status: Status;
  if (running && init?.created && existsSync(join(containerDir(rec.id), "exec.fifo"))) status = "created";
  else if (running) status = frozen(rec) ? "paused" : "running";
  else if (exit && monitorAlive && rec.spec.restart.name !== "no") status = "restarting";
  else if (exit) status = "exited";
  else if (monitorAlive) status = "creating";
  else status = "dead"; // the monitor is gone without recording an exit
  return { status, pid: running ? init!.pid : 0, init, exit, monitorAlive };
}
