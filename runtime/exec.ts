// exec: a new process inside a running container, in all its namespaces,
// its cgroup and under the same security settings as its init.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NamespaceKind } from "../spec/types.ts";
import { EngineError, stepError } from "./errors.ts";
import { type Executor, spawnExecutor } from "./executor.ts";
import { hostBoundingSet } from "./features.ts";
import { buildExecPlan } from "./plan.ts";
import { resolveUser, UserError } from "./process/user.ts";
import { containerDir } from "./state/paths.ts";
import type { ContainerRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";
import { procFile } from "./state/proc.ts";

export interface ExecOptions {
  argv: string[];
  env: string[];
  user?: string;
  workdir?: string;
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  privileged: boolean;
  /** the process gets the caller's stdio even when detached (OCI `exec -d`: containerd and conmon pass pipes) */
  keepStdio?: boolean;
  /** OCI exec --tty --console-socket: the pty master goes to this unix socket */
  consoleSocket?: string;
  winsize?: { rows: number; cols: number };
  /** the process's stdio as pipes to the caller (executor.proc.stdin/stdout/stderr): the daemon's exec */
  pipes?: boolean;
}

/** The namespaces the container has of its own (those differing from the host's). */
function ownNamespaces(pid: number): NamespaceKind[] {
  const kinds: [NamespaceKind, string][] = [["user", "user"], ["pid", "pid"], ["ipc", "ipc"], ["uts", "uts"], ["net", "net"], ["cgroup", "cgroup"], ["mount", "mnt"]];
  return kinds.filter(([, f]) => procFile(`/proc/${pid}/ns/${f}`) !== procFile(`/proc/self/ns/${f}`)).map(([k]) => k);
}

export async function execInContainer(rec: ContainerRecord, o: ExecOptions): Promise<{ executor: Executor; pid: number }> {
  const live = liveState(rec);
  if (live.status === "paused") throw new EngineError(`Container ${rec.id} is paused, unpause the container before exec`, 1);
  if (live.status !== "running") throw new EngineError(`Container ${rec.id} is not running`, 1);
  let user = rec.user;
  try {
    if (o.user) user = resolveUser(`/proc/${live.pid}/root`, o.user);
  } catch (e) {
    if (e instanceof UserError) throw new EngineError(e.message, 126);
    throw e;
  }
  const env = new Map(rec.env.map((e) => [e.slice(0, e.indexOf("=")), e]));
  for (const e of o.env) env.set(e.includes("=") ? e.slice(0, e.indexOf("=")) : e, e);
  const bpf = join(containerDir(rec.id), "seccomp.bpf");
  const caps = o.privileged ? ((1n << 41n) - 1n) & hostBoundingSet() : BigInt(`0x${rec.caps}`);
  const steps = buildExecPlan({
    initPid: live.pid,
    tty: o.tty,
    argv: o.argv,
    env: [...env.values()],
    cwd: o.workdir ?? rec.spec.workdir ?? "/",
    user,
    caps,
    noNewPrivileges: rec.spec.security.noNewPrivileges,
    seccomp: !o.privileged && existsSync(bpf) ? new Uint8Array(readFileSync(bpf)) : null,
    cgroupProcs: rec.cgroup.paths.map((p) => join(p, "cgroup.procs")),
    namespaces: ownNamespaces(live.pid),
    attach: { stdin: (o.interactive && !o.detach) || !!o.keepStdio, stdout: !o.detach || !!o.keepStdio, stderr: !o.detach || !!o.keepStdio },
    winsize: o.winsize,
    // detached with the caller's stdio (OCI exec -d): the caller reaps the process, as runc's
    stdio: o.detach && o.keepStdio ? "inherit" : undefined,
    consoleSocket: o.consoleSocket,
  });
  const executor = await spawnExecutor(steps, { inheritStdio: !o.detach || !!o.keepStdio, pipeStdio: o.pipes && !o.detach });
  const r = executor.next();
  if (!r || r.kind === "exit") throw new EngineError("exec: the executor exited before the process started");
  if (r.kind === "error") {
    await executor.proc.exited;
    throw stepError(steps, r.step, r.errno);
  }
  return { executor, pid: r.kind === "pid" ? r.pid : 0 };
}
