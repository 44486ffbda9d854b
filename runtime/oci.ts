// The OCI runtime life cycle (runtime-spec runtime.md) over ctr's own
// containers: an OCI id is the container's name, the bundle's config.json is
// read into a ContainerSpec (spec/oci.ts) and created like any other
// container, with the init blocked on exec.fifo until `start`. Errors carry
// runc's wording, since containerd and Podman match on some of them. What
// runs on every call (state, start, kill, delete) is here; create, exec and
// update, which load the spec parser and the executor, are in oci-create.ts,
// loaded only for them (a start is mostly the cost of loading its modules).
import { cgroupPids } from "../cgroup/cgroup.ts";
import { OCI_VERSION, type OciHook } from "../spec/types.ts";
import { signalNumber } from "../spec/signals.ts";
import { EngineError } from "./errors.ts";
import { pauseContainer, releaseCreated, unpauseContainer } from "./lifecycle.ts";
import { removeContainer, signal } from "./remove.ts";
import { nameOwner } from "./state/names.ts";
import { type ContainerRecord, listIds, loadRecord } from "./state/record.ts";
import { liveState, type Status } from "./state/status.ts";

export { OCI_VERSION };
export const ID_RE = /^[\w+.-]+$/;

export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: "creating" | "created" | "running" | "paused" | "stopped";
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** ctr's derived status -> the runtime-spec's five */
const STATUS: Record<Status, OciState["status"]> = {
  creating: "creating", created: "created", running: "running", paused: "paused",
  restarting: "running", exited: "stopped", dead: "stopped",
};

export class OciError extends EngineError {
  constructor(msg: string) {
    super(msg, 1);
  }
}

export function findOci(id: string): ContainerRecord {
  const internal = nameOwner(id);
  const rec = internal ? loadRecord(internal) : undefined;
  if (!rec || !rec.spec.oci) throw new OciError("container does not exist");
  return rec;
}

export function ociState(rec: ContainerRecord): OciState {
  const live = liveState(rec);
  const status = STATUS[live.status];
  const st: OciState = {
    ociVersion: OCI_VERSION,
    id: rec.name,
    pid: status === "stopped" ? 0 : live.pid,
    status,
    bundle: rec.spec.oci!.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
    owner: "",
  };
  if (Object.keys(rec.spec.oci!.annotations).length) st.annotations = rec.spec.oci!.annotations;
  return st;
}

export function listOci(): OciState[] {
  const out: OciState[] = [];
  for (const id of listIds()) {
    const rec = loadRecord(id);
    if (rec?.spec.oci) out.push(ociState(rec));
  }
  return out;
}

export function ociStart(id: string, warn: (msg: string) => void = () => {}): void {
  const rec = findOci(id);
  const st = ociState(rec).status;
  if (st === "stopped") throw new OciError("cannot start a container that has stopped");
  if (st !== "created") throw new OciError(`cannot start an already ${st} container`);
  const before = ociState(rec);
  releaseCreated(rec);
  // runtime-spec: a failed poststart hook is a warning; the container runs on
  try {
    if (rec.spec.oci!.hooks?.poststart) runHooks("poststart", rec.spec.oci!.hooks.poststart, before);
  } catch (e) {
    warn((e as Error).message);
  }
}

/** Each hook in order, the container's state JSON on its stdin (runtime-spec config.md#posix-platform-hooks); the first failure throws. */
export function runHooks(kind: string, hooks: OciHook[] | undefined, state: OciState): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const args = h.args?.length ? h.args : [h.path];
    const env = Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    let p;
    try {
      p = Bun.spawnSync([h.path, ...args.slice(1)], {
        argv0: args[0], env, stdin: Buffer.from(JSON.stringify(state)), stdout: "pipe", stderr: "pipe",
        timeout: h.timeout ? h.timeout * 1000 : undefined,
      });
    } catch (e) {
      throw new OciError(`error running ${kind} hook #${i}: ${(e as Error).message}`);
    }
    if (p.exitCode !== 0) {
      const why = p.exitCode === null ? `timeout after ${h.timeout}s` : `exit status ${p.exitCode}`;
      throw new OciError(`error running ${kind} hook #${i}: ${why}, stdout: ${p.stdout.toString().trim()}, stderr: ${p.stderr.toString().trim()}`);
    }
  }
}

export function ociKill(id: string, sig: string, all: boolean): void {
  const rec = findOci(id);
  const st = ociState(rec);
  let n: number;
  try {
    n = signalNumber(sig);
  } catch {
    throw new OciError(`unknown signal "${sig}"`);
  }
  if (st.status === "stopped") throw new OciError("container not running");
  if (all) for (const pid of cgroupPids(rec.cgroup)) signal(pid, n);
  else signal(st.pid, n);
}

export async function ociDelete(id: string, force: boolean, warn: (msg: string) => void = () => {}): Promise<void> {
  let rec: ContainerRecord;
  try {
    rec = findOci(id);
  } catch (e) {
    if (force) return;
    throw e;
  }
  const st = ociState(rec).status;
  if (!force && st !== "stopped" && st !== "created") throw new OciError(`cannot delete container ${id} that is not stopped: ${st}`);
  await removeContainer(rec.id, { force: true, quiet: true });
  try {
    if (rec.spec.oci!.hooks?.poststop) runHooks("poststop", rec.spec.oci!.hooks.poststop, { ...ociState(rec), status: "stopped", pid: 0 });
  } catch (e) {
    warn((e as Error).message);
  }
}

export async function ociPause(id: string): Promise<void> {
  const rec = findOci(id);
  const st = ociState(rec).status;
  if (st !== "running") throw new OciError(`container not running`);
  await pauseContainer(rec);
}

export async function ociResume(id: string): Promise<void> {
  const rec = findOci(id);
  if (ociState(rec).status !== "paused") throw new OciError("container not paused");
  await unpauseContainer(rec);
}

export function ociPids(id: string): number[] {
  return cgroupPids(findOci(id).cgroup);
}

