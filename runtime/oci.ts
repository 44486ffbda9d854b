// The OCI runtime life cycle (runtime-spec runtime.md) over ctr's own
// containers: an OCI id is the container's name, the bundle's config.json is
// read into a ContainerSpec (spec/oci.ts) and created like any other
// container, with the init blocked on exec.fifo until `start`. Errors carry
// runc's wording, since containerd and Podman match on some of them.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cgroupPids, updateCgroup } from "../cgroup/cgroup.ts";
import { parseOciConfig, parseOciProcess, resources } from "../spec/oci.ts";
import type { OciHook } from "../spec/types.ts";
import { signalNumber } from "../spec/signals.ts";
import { createContainer, releaseCreated } from "./create.ts";
import { EngineError } from "./errors.ts";
import { execInContainer } from "./exec.ts";
import type { Executor } from "./executor.ts";
import { pauseContainer, unpauseContainer } from "./lifecycle.ts";
import { removeContainer, signal } from "./remove.ts";
import { nameOwner } from "./state/names.ts";
import { stateRoot } from "./state/paths.ts";
import { type ContainerRecord, listIds, loadRecord, saveRecord } from "./state/record.ts";
import { liveState, type Status } from "./state/status.ts";

export const OCI_VERSION = "1.0.2";
const ID_RE = /^[\w+.-]+$/;

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

export interface OciCreateOptions {
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  /** warnings about what config.json asks for and ctr does not apply */
  warn: (msg: string) => void;
}

export async function ociCreate(id: string, bundleDir: string, opts: OciCreateOptions): Promise<number> {
  if (!ID_RE.test(id)) throw new OciError(`invalid id format: ${id}`);
  if (nameOwner(id) && loadRecord(nameOwner(id)!)) throw new OciError(`container with id exists: ${id}`);
  const bundle = resolve(bundleDir);
  try {
    if (!statSync(bundle).isDirectory()) throw new Error();
  } catch {
    throw new OciError(`chdir ${bundle}: no such file or directory`);
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new OciError(code === "ENOENT" ? "JSON specification file config.json not found" : `config.json: ${(e as Error).message}`);
  }
  const { spec, seccomp, warnings } = parseOciConfig(config, bundle);
  for (const w of warnings) opts.warn(w);
  if (spec.oci!.cgroupsPath?.includes(":")) throw new OciError(`cgroupsPath ${spec.oci!.cgroupsPath} is in systemd's slice:prefix:name form; ctr manages cgroupfs directly (run without --systemd-cgroup)`);
  if (spec.tty && !opts.consoleSocket) throw new OciError("cannot allocate tty if runc will detach without setting console socket");
  if (!spec.tty && opts.consoleSocket) throw new OciError("cannot use console socket if runc will not detach or allocate tty");
  if (seccomp) spec.security.seccomp = writeProfile(seccomp);
  spec.name = id;
  // the runtime's stdio is the container's (containerd and conmon hand pipes here), given to the init as is
  spec.interactive = true;
  spec.detach = true;
  const consoleSocket = opts.consoleSocket ? resolve(opts.consoleSocket) : undefined;
  const c = await createContainer(spec, { attach: true, waitForStart: true, directStdio: true, consoleSocket, preserveFds: opts.preserveFds });
  c.executor.release();
  // the namespaces exist and the init waits: prestart and createRuntime hooks (CNI, ...) run now; a failure undoes the create
  try {
    const hooks = spec.oci!.hooks;
    if (hooks?.prestart || hooks?.createRuntime) {
      // the states runc hands its hooks: "creating" here, "created" to poststart
      const st: OciState = { ...ociState(c.record), status: "creating" };
      runHooks("prestart", hooks.prestart, st);
      runHooks("createRuntime", hooks.createRuntime, st);
    }
  } catch (e) {
    await removeContainer(c.record.id, { force: true, quiet: true });
    throw e;
  }
  if (opts.pidFile) {
    const tmp = `${resolve(opts.pidFile)}.tmp`;
    writeFileSync(tmp, String(c.pid));
    renameSync(tmp, resolve(opts.pidFile));
  }
  return c.pid;
}

/** The compiler reads a file; profiles are kept by content under the state root. */
function writeProfile(profile: Record<string, unknown>): string {
  const text = JSON.stringify(profile);
  const dir = join(stateRoot(), "cache");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `oci-seccomp-${new Bun.CryptoHasher("sha256").update(text).digest("hex").slice(0, 32)}.json`);
  writeFileSync(file, text);
  return file;
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

/** `update`: linux.resources JSON (from --resources) merged with the single-value flags, written to the live cgroup. */
export function ociUpdate(id: string, json: unknown, warn: (msg: string) => void): void {
  const rec = findOci(id);
  if (ociState(rec).status === "stopped") throw new OciError("container not running");
  if (typeof json !== "object" || json === null) throw new OciError("update: the resources must be a JSON object (linux.resources)");
  const warnings: string[] = [];
  const r = resources(json as Record<string, unknown>, warnings);
  for (const w of warnings) warn(w);
  updateCgroup(rec.cgroup, r);
  // later creates of the same record (none today) and `ctr inspect` see the new limits
  saveRecord({ ...rec, spec: { ...rec.spec, resources: { ...rec.spec.resources, ...r } } });
}

export function ociPids(id: string): number[] {
  return cgroupPids(findOci(id).cgroup);
}

export interface OciExecOptions {
  /** a process.json; otherwise args (and cwd, env, user) from the command line */
  processFile?: string;
  args: string[];
  cwd?: string;
  env: string[];
  user?: string;
  tty: boolean;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
}

export async function ociExec(id: string, o: OciExecOptions): Promise<{ executor: Executor; pid: number }> {
  const rec = findOci(id);
  const st = ociState(rec).status;
  if (st === "stopped") throw new OciError("cannot exec in a stopped container");
  if (st === "paused") throw new OciError("cannot exec in a paused container");
  let p = { args: o.args, env: o.env, cwd: o.cwd, user: o.user, tty: o.tty };
  if (o.processFile) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(o.processFile, "utf8"));
    } catch (e) {
      throw new OciError(`process.json ${o.processFile}: ${(e as Error).message}`);
    }
    p = parseOciProcess(json);
  }
  if (p.args.length === 0) throw new OciError("exec: no command given (a COMMAND or --process FILE)");
  if (p.tty && !o.consoleSocket) throw new OciError("cannot allocate tty if runc will detach without setting console socket");
  if (p.tty && !o.detach) throw new OciError("exec --tty without --detach is not supported yet: give --detach with --console-socket");
  if (!p.tty && o.consoleSocket) throw new OciError("cannot use console socket if runc will not detach or allocate tty");
  const r = await execInContainer(rec, {
    argv: p.args, env: p.env, user: p.user, workdir: p.cwd, tty: p.tty, interactive: true, detach: o.detach, keepStdio: true, privileged: false,
    consoleSocket: o.consoleSocket ? resolve(o.consoleSocket) : undefined,
  });
  if (o.pidFile) {
    const tmp = `${resolve(o.pidFile)}.tmp`;
    writeFileSync(tmp, String(r.pid));
    renameSync(tmp, resolve(o.pidFile));
  }
  return r;
}
