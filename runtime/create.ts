// create/run: everything TypeScript decides before a container exists, then
// the executor. Order matters for clean failure: the record is written first
// (so `rm -f` can always find and undo what follows), then the cgroup, then
// the monitor. A failure at any step undoes all of it.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCgroup, DEFAULT_PARENT, oomCounter, procsFiles } from "../cgroup/cgroup.ts";
import { type Hierarchy, readHierarchies } from "../cgroup/mode.ts";
import { isManagedMode, netFiles, netnsPath } from "../net/modes.ts";
import { publishExposed } from "../net/published.ts";
import { type ContainerSpec, type NamespaceKind, OCI_VERSION } from "../spec/types.ts";
import { EngineError, stepError } from "./errors.ts";
import { type Executor, gateFd, type Report, spawnExecutor } from "./executor.ts";
import { mapText, remapRanges } from "./ns/idmap.ts";
import { buildRunPlan, type NsChoice, type RunInput } from "./plan.ts";
import type { Step } from "./plan-wire.ts";
import { hostBoundingSet } from "./features.ts";
import { resolveCaps } from "./process/capabilities.ts";
import { seccompProgram } from "./process/seccomp-cache.ts";
import { resolveUser, UserError } from "./process/user.ts";
import { removeContainer } from "./remove.ts";
import { cgroupMounts } from "./rootfs/cgroupfs.ts";
import { hostDevices, HostDeviceError } from "./rootfs/devices.ts";
import { ociFsLayout } from "./rootfs/oci.ts";
import { resolveInRoot } from "./rootfs/resolve.ts";
import { mkfifo } from "./sys/libc.ts";
import { trace } from "./trace.ts";
import { claimName, newId, randomName, resolveRef } from "./state/names.ts";
import { containerDir, stateRoot } from "./state/paths.ts";
import { containerEvent, monitorEvents } from "./state/events.ts";
import { procStartTime } from "./state/proc.ts";
import { type ContainerRecord, loadRecord, saveRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

export interface CreateOptions {
  /** hand the CLI's stdio to the monitor (attached run) */
  attach: boolean;
  /** create only: the init waits on exec.fifo until `start` */
  waitForStart: boolean;
  /** the argv that removes this container; the monitor runs it at exit (--rm) */
  removeArgv?: (id: string) => string[];
  winsize?: { rows: number; cols: number };
  /** OCI runtime mode: the init gets the caller's stdio itself, and the monitor leaves once it runs (the caller reaps it, as runc's) */
  directStdio?: boolean;
  /** OCI --console-socket: the init's pty master is sent to this unix socket */
  consoleSocket?: string;
  /** OCI --preserve-fds N: the CLI's fds 3..3+N-1 are the init's too */
  preserveFds?: number;
  /** the daemon: the container's stdin (-i) is a pipe from the caller (executor.proc.stdin); its output goes to the log only */
  stdinPipe?: boolean;
}

export interface Created {
  record: ContainerRecord;
  executor: Executor;
  pid: number;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Namespaces the container gets: new by default, the host's or another's when asked. */
function namespaceChoices(spec: ContainerSpec, id: string): NsChoice[] {
  const kinds: NamespaceKind[] = ["pid", "ipc", "uts", "net", "cgroup", "mount"];
  const out: NsChoice[] = [];
  // a user namespace only when asked for (--userns-remap): Docker's default too
  const user = spec.namespaces.user;
  if (user?.mode === "private") out.push({ kind: "user", how: "new" });
  else if (user?.mode === "path") out.push({ kind: "user", how: "join", path: user.path });
  else if (user && user.mode !== "host") throw new EngineError("joining another container's user namespace is not supported: use --userns-remap, or an OCI bundle's user namespace path");
  for (const kind of kinds) {
    let mode = spec.namespaces[kind] ?? { mode: "private" as const };
    if (kind === "net") mode = netMode(spec.network.mode, id);
    // a network of ctr's (bridge, user-defined): its namespace is made by the monitor, unless it is
    // there already (a container started again)
    if (kind === "net" && mode.mode === "path" && isManagedMode(spec.network.mode) && !existsSync(mode.path)) out.push({ kind, how: "make", path: mode.path });
    else if (mode.mode === "private") out.push({ kind, how: "new" });
    else if (mode.mode === "host") out.push({ kind, how: "host" });
    else if (mode.mode === "path") out.push({ kind, how: "join", path: mode.path });
    else out.push({ kind, how: "join", path: `/proc/${runningPid(mode.container)}/ns/${kind === "mount" ? "mnt" : kind}` });
  }
  return out;
}

function netMode(mode: string, id: string): ContainerSpec["namespaces"]["net"] & object {
  if (mode === "none") return { mode: "private" };
  if (mode === "host") return { mode: "host" };
  if (mode.startsWith("container:")) return { mode: "container", container: mode.slice(10) };
  if (mode.startsWith("ns:")) return { mode: "path", path: mode.slice(3) };
  // bridge and user-defined networks: a namespace pinned under the state root (the monitor makes it)
  return { mode: "path", path: netnsPath(stateRoot(), id) };
}

function runningPid(ref: string): number {
  const rec = loadRecord(resolveRef(ref));
  const live = rec && liveState(rec);
  if (!rec || !live || live.status !== "running") throw new EngineError(`cannot join namespace of container ${ref}: it is not running`);
  return live.pid;
}

function checkRootfs(spec: ContainerSpec): string {
  if (spec.image && !spec.rootfs) {
    throw new EngineError(`image ${spec.image}: only a container made from it has its rootfs (ctr create, then inspect); give a rootfs directory here`);
  }
  if (!spec.rootfs) throw new EngineError("no rootfs or image given");
  const root = resolve(spec.rootfs);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new EngineError(`rootfs ${root}: no such directory`);
  }
  if (!st.isDirectory()) throw new EngineError(`rootfs ${root}: not a directory`);
  return root;
}

function checkMounts(spec: ContainerSpec): void {
  for (const m of spec.mounts) {
    if (!m.target.startsWith("/")) throw new EngineError(`invalid mount config: mount path must be absolute: ${m.target}`);
    if (m.type === "volume") throw new EngineError(`volume mounts are not supported yet: ${m.source}:${m.target}`);
    if (m.type === "bind") {
      if (!m.source || !existsSync(m.source)) throw new EngineError(`invalid mount config for type "bind": bind source path does not exist: ${m.source}`);
      // a file source needs a file target
      if (!statSync(m.source).isDirectory() && !m.options.includes("file")) m.options.push("file");
    }
  }
}

function processEnv(spec: ContainerSpec, hostname: string, home: string): string[] {
  // an OCI config.json's env is taken as given, as runc does (HOME is still added)
  const env: Record<string, string> = spec.oci?.exactEnv ? {} : { PATH: DEFAULT_PATH, HOSTNAME: hostname };
  if (spec.tty) env.TERM = "xterm";
  Object.assign(env, spec.env);
  if (!("HOME" in spec.env)) env.HOME = home;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export interface Prepared {
  record: ContainerRecord;
  input: RunInput;
  cgroupRel: string;
  hierarchies: Hierarchy[];
  /** allow-list rules for the --device nodes */
  deviceRules: string[];
}

/** Everything decided, nothing done: the record and the executor's input. */
export async function prepareRun(spec: ContainerSpec, opts: CreateOptions, id = newId()): Promise<Prepared> {
  const rootfs = checkRootfs(spec);
  const argv = [...(spec.entrypoint ?? []), ...(spec.command ?? [])];
  if (argv.length === 0) throw new EngineError("No command specified");
  checkMounts(spec);
  let devices;
  try {
    devices = hostDevices(spec.devices ?? []);
  } catch (e) {
    if (e instanceof HostDeviceError) throw new EngineError(e.message);
    throw e;
  }
  const namespaces = namespaceChoices(spec, id);
  if (spec.network.ports.length && !isManagedMode(spec.network.mode) && spec.network.mode !== "host") {
    throw new EngineError(`conflicting options: port publishing and the network mode ${spec.network.mode}`);
  }
  let user;
  try {
    user = resolveUser(rootfs, spec.user, spec.groupAdd);
  } catch (e) {
    if (e instanceof UserError) throw new EngineError(e.message);
    throw e;
  }
  // a bundle's process.user is numeric and complete: its additionalGids are all the groups, as with runc
  if (spec.oci) user = { ...user, groups: spec.oci.additionalGids };
  // privileged: every capability this host can hand out (a VM or an outer
  // container may hold some back; asking for those fails capset with EPERM)
  const caps = resolveCaps({ privileged: spec.security.privileged, capAdd: spec.security.capAdd, capDrop: spec.security.capDrop })
    & (spec.security.privileged ? hostBoundingSet() : ~0n);
  const hierarchies = readHierarchies();
  const seccomp = spec.security.privileged ? null : await seccompProgram(spec.security.seccomp, caps, join(stateRoot(), "cache"));

  const name = spec.name ?? randomName();
  const hostname = spec.hostname ?? id.slice(0, 12);
  const dir = containerDir(id);
  const cgroupRel = spec.oci?.cgroupsPath?.replace(/^\/+/, "") || join(spec.cgroupParent ?? DEFAULT_PARENT, id);
  const record: ContainerRecord = {
    id,
    name,
    created: new Date().toISOString(),
    spec,
    rootfs,
    hostname,
    argv,
    env: processEnv(spec, hostname, user.home),
    user,
    caps: caps.toString(16),
    cgroup: { paths: hierarchies.map((h) => join(h.mount, cgroupRel)), mounts: hierarchies.map((h) => h.mount) },
    logPath: join(dir, `${id}-json.log`),
    started: !opts.waitForStart,
  };
  const input: RunInput = {
    spec,
    rootfs,
    stateDir: dir,
    logPath: record.logPath,
    hostname,
    argv,
    env: record.env,
    user,
    caps,
    seccomp,
    cgroupProcs: procsFiles(record.cgroup),
    namespaces,
    attach: { stdin: (opts.attach || !!opts.stdinPipe) && spec.interactive, stdout: opts.attach, stderr: opts.attach },
    execFifo: opts.waitForStart ? join(dir, "exec.fifo") : undefined,
    onExit: spec.autoRemove && opts.removeArgv ? opts.removeArgv(id) : undefined,
    winsize: opts.winsize,
    idMap: spec.namespaces.user?.mode !== "private" ? undefined
      : spec.oci ? { uid: `${spec.oci.uidMappings.join("\n")}\n`, gid: `${spec.oci.gidMappings.join("\n")}\n` }
      : mapText(remapRanges(spec.usernsRemap ?? "default")),
    // a bundle's rootfs is owned by its mapped ids already (as runc expects): no idmapped mount
    rootfsMapped: spec.oci !== undefined,
    cgroupMounts: cgroupMounts(hierarchies),
  };
  if (devices.length) input.devices = devices.map((d) => d.node);
  if (opts.directStdio) {
    input.stdio = "inherit";
    input.attach = { stdin: true, stdout: true, stderr: true };
  }
  if (opts.consoleSocket) input.consoleSocket = opts.consoleSocket;
  if (opts.preserveFds) input.preserveFds = opts.preserveFds;
  if (spec.oci) {
    const own = (k: NamespaceKind) => namespaces.some((n) => n.kind === k && n.how !== "host");
    input.fs = ociFsLayout(spec.oci, { ownNetns: own("net"), userns: own("user"), cgroupMounts: input.cgroupMounts ?? [] });
    input.hooks = initHooks(spec.oci, record);
  }
  return { record, input, cgroupRel, hierarchies, deviceRules: devices.map((d) => d.rule) };
}

/**
 * The second half of a bridge or user-defined network, while the init sets
 * up its rootfs (it waits at its gate): the leases, then the network plan for
 * the monitor to wire (runtime/native/netlink.c); a DNS server and published
 * ports once it has. The gate opens last, so the command runs on a wired
 * network. On failure it closes instead, and if the executor failed first
 * (its report is not the gate's), that is the error. Returns the plan sent.
 */
async function finishNet(ex: Executor, spec: ContainerSpec, record: ContainerRecord, exposed: string[], steps: Step[]): Promise<Step[]> {
  let plan: Step[] = [];
  const id = record.id;
  try {
    const { beginContainerNet, netContext } = await import("../net/begin.ts");
    const n = spec.network;
    const pending = await beginContainerNet(netContext(stateRoot()), {
      id, name: record.name, hostname: record.hostname, mode: n.mode, networks: n.networks, aliases: n.aliases,
      ip: n.ip, mac: n.mac, dns: n.dns, dnsSearch: n.dnsSearch, extraHosts: n.extraHosts,
    });
    const made = await pending.finish((p) => {
      plan = p;
      ex.sendNetPlan(p);
    });
    saveRecord(record);
    const dns = made.dnsNetwork && n.dns.length === 0 ? made.dnsNetwork : undefined;
    // -P: the image's exposed ports and --expose, each on a free host port
    const ports = n.publishAll ? publishExposed(n.ports, [...exposed, ...(n.expose ?? [])]) : n.ports;
    if (dns || ports.length) {
      // both need the endpoint: the DNS server listens on the gateway, the proxy dials the container
      const r = ex.next();
      if (r?.kind !== "wired") throw (r && (await reportedError(r, steps, plan))) ?? new EngineError("executor exited before the container started");
    }
    // a user-defined network's names through its DNS server, unless --dns names others
    if (dns) await (await import("../net/container.ts")).useEmbeddedDns(stateRoot(), id, dns, n.dnsSearch);
    if (ports.length) await (await import("../net/ports.ts")).publishPorts(stateRoot(), id, made, ports);
    trace("network ready");
  } catch (e) {
    ex.closeGate();
    await ex.proc.exited;
    const r = ex.next();
    throw (r && (await reportedError(r, steps, plan))) ?? e;
  }
  ex.openGate();
  return plan;
}

/** What the executor reported as failed, as the user reads it; the gate's own ECANCELED is no cause. */
async function reportedError(r: Report, steps: Step[], netPlan: Step[]): Promise<Error | undefined> {
  if (r.kind === "neterror") return (await import("../net/wire-errors.ts")).wireError(netPlan, r.step, r.errno);
  if (r.kind === "error" && steps[r.step]?.op !== "GATE") return stepError(steps, r.step, r.errno);
  return undefined;
}

/** createContainer and startContainer hooks with the state JSON runc hands them ("creating", then "created"), the pid left to the init. */
function initHooks(oci: NonNullable<ContainerSpec["oci"]>, rec: ContainerRecord): RunInput["hooks"] {
  const out: NonNullable<RunInput["hooks"]> = {};
  for (const [kind, status] of [["createContainer", "creating"], ["startContainer", "created"]] as const) {
    const hooks = oci.hooks?.[kind];
    if (!hooks?.length) continue;
    const state = { ociVersion: OCI_VERSION, id: rec.name, status, pid: 0, bundle: oci.bundle, annotations: oci.annotations };
    const [before, after] = JSON.stringify(state).split(`"pid":0`) as [string, string];
    out[kind] = hooks.map((h) => ({ path: h.path, args: h.args ?? [], env: h.env ?? [], timeout: h.timeout ?? 0, state: [`${before}"pid":`, after] }));
  }
  return out;
}

export async function createContainer(spec: ContainerSpec, opts: CreateOptions): Promise<Created> {
  trace("create");
  const id = newId();
  let prepared: Prepared;
  let image: ContainerRecord["image"];
  // held from finding the image until the record names it: rmi and prune wait meanwhile
  let releaseImage = () => {};
  try {
    if (spec.image && !spec.rootfs) {
      // an image: its overlay is mounted now and its config applied (loaded only for images)
      const r = await (await import("../image/run.ts")).imageRootfs(spec, containerDir(id));
      spec = r.spec;
      image = r.image;
      releaseImage = r.release;
    }
    prepared = await prepareRun(spec, opts, id);
  } catch (e) {
    if (spec.image) {
      (await import("../image/overlay.ts")).unmountOverlay(containerDir(id));
      rmSync(containerDir(id), { recursive: true, force: true });
    }
    releaseImage();
    throw e;
  }
  const { record, input, cgroupRel, hierarchies, deviceRules } = prepared;
  if (image) record.image = image;
  trace("decided");
  // the record first: whatever happens after (even kill -9), rm -f finds it
  saveRecord(record);
  containerEvent(record, "create");
  releaseImage();
  try {
    claimName(record.name, id);
    if (input.seccomp) writeFileSync(join(containerDir(id), "seccomp.bpf"), input.seccomp);
    if (spec.workdir) mkdirSync(resolveInRoot(record.rootfs, spec.workdir), { recursive: true });
    const deviceCgroupRules = [...(spec.resources.deviceCgroupRules ?? []), ...deviceRules];
    record.cgroup = createCgroup(cgroupRel, { ...spec.resources, deviceCgroupRules, devicesAllowAll: spec.security.privileged }, hierarchies);
    // parents made for --cgroup-parent: recorded now, so rm removes them even if what follows fails
    if (record.cgroup.created?.length) saveRecord(record);
    input.oomCounter = oomCounter(record.cgroup, hierarchies);
    trace("cgroup created");
    // bridge and user-defined networks: the monitor makes the namespace and the /etc files the init
    // mounts (plan step NETNS); the CLI fills them, takes the leases and sends the network plan while
    // the init sets up its rootfs, and the init waits at its gate meanwhile (finishNet)
    const managed = isManagedMode(spec.network.mode);
    if (managed) input.files = netFiles(containerDir(id));
    const extraFds = Array.from({ length: input.preserveFds ?? 0 }, (_, k) => 3 + k);
    // 0622: the init may have dropped to another user by the time it opens it
    if (input.execFifo) {
      mkfifo(input.execFifo, 0o622);
      chmodSync(input.execFifo, 0o622); // past the umask
    }
    if (!spec.oci) input.events = monitorEvents(record);
    if (managed) input.gate = gateFd(extraFds.length);
    const steps = buildRunPlan(input);
    const executor = await spawnExecutor(steps, { inheritStdio: opts.attach, extraFds, stdinPipe: opts.stdinPipe && spec.interactive, gate: managed });
    trace("executor spawned");
    record.monitorPid = executor.monitorPid;
    record.monitorStart = procStartTime(executor.monitorPid);
    // (with a network, once its plan is sent: the monitor wires meanwhile, and the init runs nothing
    // before its gate opens, after the save)
    let netPlan: Step[] = [];
    if (managed) netPlan = await finishNet(executor, spec, record, image?.exposedPorts ?? [], steps);
    else saveRecord(record);
    trace("record saved");
    let r = executor.next();
    while (r?.kind === "wired") r = executor.next();
    trace("container started");
    if (!r || r.kind === "exit") throw new EngineError("executor exited before the container started");
    if (r.kind === "error" || r.kind === "neterror") {
      await executor.proc.exited;
      throw (await reportedError(r, steps, netPlan)) ?? stepError(steps, r.step, r.errno);
    }
    return { record, executor, pid: r.pid };
  } catch (e) {
    await removeContainer(id, { force: true, quiet: true });
    throw e;
  }
}

