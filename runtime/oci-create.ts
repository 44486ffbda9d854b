// The OCI verbs that make processes or change limits: create (config.json
// read into a ContainerSpec, then created like any other container, the init
// blocked on exec.fifo until `start`), exec and update. Kept apart from
// oci.ts so that state, start, kill and delete load none of this.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cgroupPids, updateCgroup } from "../cgroup/cgroup.ts";
import { parseOciConfig, parseOciProcess, resources } from "../spec/oci.ts";
import { createContainer } from "./create.ts";
import { execInContainer } from "./exec.ts";
import type { Executor } from "./executor.ts";
import { findOci, ID_RE, OciError, type OciState, ociState, runHooks } from "./oci.ts";
import { removeContainer } from "./remove.ts";
import { nameOwner } from "./state/names.ts";
import { stateRoot } from "./state/paths.ts";
import { loadRecord, saveRecord } from "./state/record.ts";

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
