// start (again): a container that has exited runs once more, as `docker
// start` and `docker restart` do. What a run needs and outlives it is still
// there until `rm`: the record, the cgroup, the rootfs (an image's overlay
// stays mounted), the network namespace with its addresses and the files
// mounted into it. So only the Plan is built again and a new monitor spawned.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { oomCounter, procsFiles } from "../cgroup/cgroup.ts";
import { isManagedMode } from "../net/modes.ts";
import { prepareRun } from "./create.ts";
import { EngineError, stepError } from "./errors.ts";
import { type Executor, spawnExecutor } from "./executor.ts";
import { buildRunPlan } from "./plan.ts";
import { withLock } from "./state/lock.ts";
import { containerDir, containerLock } from "./state/paths.ts";
import { procStartTime } from "./state/proc.ts";
import { type ContainerRecord, loadRecord, saveRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

export async function startAgain(ref: ContainerRecord, removeArgv?: (id: string) => string[]): Promise<Executor> {
  return withLock(containerLock(ref.id), async () => {
    const rec = loadRecord(ref.id);
    if (!rec) throw new EngineError(`No such container: ${ref.id}`, 1);
    const st = liveState(rec).status;
    if (st !== "exited" && st !== "dead") throw new EngineError(`container ${rec.name} is ${st}: only an exited container starts again`, 1);
    if (!existsSync(rec.rootfs)) throw new EngineError(`container ${rec.name}: its rootfs ${rec.rootfs} is gone`, 1);
    // the marker `stop` left would keep the restart policy from acting
    rmSync(join(containerDir(rec.id), "stopped"), { force: true });
    const { input } = await prepareRun({ ...rec.spec, rootfs: rec.rootfs, name: rec.name }, { attach: false, waitForStart: false, removeArgv }, rec.id);
    input.cgroupProcs = procsFiles(rec.cgroup);
    input.oomCounter = oomCounter(rec.cgroup);
    if (isManagedMode(rec.spec.network.mode)) {
      const dir = containerDir(rec.id);
      input.files = [
        { source: join(dir, "hosts"), target: "/etc/hosts" },
        { source: join(dir, "hostname"), target: "/etc/hostname" },
        { source: join(dir, "resolv.conf"), target: "/etc/resolv.conf" },
      ];
    }
    const steps = buildRunPlan(input);
    const executor = await spawnExecutor(steps, { inheritStdio: false });
    saveRecord({ ...rec, monitorPid: executor.monitorPid, monitorStart: procStartTime(executor.monitorPid), started: true });
    const r = executor.next();
    if (!r || r.kind === "exit") throw new EngineError("executor exited before the container started");
    if (r.kind === "error") {
      await executor.proc.exited;
      throw stepError(steps, r.step, r.errno);
    }
    return executor;
  });
}
