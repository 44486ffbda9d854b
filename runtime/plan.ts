// ContainerSpec (resolved) -> Plan: the ordered steps the executor performs.
// Pure: no I/O, so it is snapshot-tested without root (tests/unit/plan.test.ts)
// and printed by `ctr debug plan`.
import type { ContainerSpec, NamespaceKind } from "../spec/types.ts";
import { CLONE, ORDERED_NAMESPACES } from "./ns/kinds.ts";
import type { Step } from "./plan-wire.ts";
import type { ResolvedUser } from "./process/user.ts";
import {
  type DefaultMount,
  type DeviceNode, DEFAULT_DEVICES, DEFAULT_MOUNTS, DEV_SYMLINKS, MASKED_PATHS, MS, PROPAGATION, READONLY_PATHS, RLIMITS, SYSFS,
} from "./rootfs/defaults.ts";

/** How each namespace is obtained, decided before planning. */
/**
 * new: cloned with the init; host: the host's; join: an existing one at path;
 * make (net only): made by the monitor and pinned at path, so the CLI can wire
 * it while the init starts (plan step NETNS; a restart joins it again).
 */
export type NsChoice = { kind: NamespaceKind; how: "new" | "host" | "join" | "make"; path?: string };

export interface RunInput {
  spec: ContainerSpec;
  rootfs: string;
  stateDir: string;
  logPath: string;
  hostname: string;
  argv: string[];
  env: string[];
  user: ResolvedUser;
  /** capability bounding set */
  caps: bigint;
  seccomp: Uint8Array | null;
  cgroupProcs: string[];
  namespaces: NsChoice[];
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  execFifo?: string;
  onExit?: string[];
  /** the memory cgroup's file with "oom_kill N": the monitor records in exit.json whether it grew */
  oomCounter?: string;
  /** what the monitor needs to append start and die lines to the event journal (runtime/state/events.ts monitorEvents) */
  events?: { path: string; actor: string; namesDir: string; id: string; name: string };
  idMap?: { uid: string; gid: string };
  /** the rootfs is owned by the mapped ids already (an OCI bundle's): no idmapped mount of it */
  rootfsMapped?: boolean;
  winsize?: { rows: number; cols: number };
  /** the executor's fd on which the init waits before exec while the CLI wires its network (net/container.ts beginContainerNet) */
  gate?: number;
  /** files bind-mounted over the rootfs's (/etc/hosts, /etc/hostname, /etc/resolv.conf from net/) */
  files?: { source: string; target: string }[];
  /** /sys/fs/cgroup's mounts for this host's layout (rootfs/cgroupfs.ts) */
  cgroupMounts?: DefaultMount[];
  /** host devices given with --device (rootfs/devices.ts) */
  devices?: DeviceNode[];
  /** a filesystem set-up given whole (an OCI bundle's, rootfs/oci.ts): used instead of Docker's default mounts, masks and spec.mounts */
  fs?: FsLayout;
  /** "inherit": the init gets the monitor's stdio, and the monitor leaves once it runs (OCI: the caller reaps it) */
  stdio?: "inherit";
  /** OCI --console-socket: the pty master is sent to this unix socket instead of kept by the monitor */
  consoleSocket?: string;
  /** OCI --preserve-fds: the executor's fds 5.. become the command's 3.. */
  preserveFds?: number;
  /** OCI hooks the init runs itself: createContainer before pivot_root, startContainer once `start` has released it, just before execve */
  hooks?: Partial<Record<"createContainer" | "startContainer", InitHook[]>>;
}

/** A hook run by the init; its state JSON is split where the pid goes, which only the init knows. */
export interface InitHook {
  path: string;
  args: string[];
  env: string[];
  /** seconds; 0 = none */
  timeout: number;
  state: [before: string, after: string];
}

export interface FsLayout {
  mounts: (DefaultMount & { create: "dir" | "file" })[];
  masked: string[];
  readonly: string[];
  /** mount(NULL, "/", ...) flags for the container's mount tree */
  propagation: number;
  devices: DeviceNode[];
}

export interface ExecInput {
  initPid: number;
  tty: boolean;
  argv: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  caps: bigint;
  noNewPrivileges: boolean;
  seccomp: Uint8Array | null;
  cgroupProcs: string[];
  /** namespaces the container has of its own, to join */
  namespaces: NamespaceKind[];
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  winsize?: { rows: number; cols: number };
  stdio?: "inherit";
  consoleSocket?: string;
}

const hex = (n: bigint) => n.toString(16);
const words = (a: { stdin: boolean; stdout: boolean; stderr: boolean }) =>
  (["stdin", "stdout", "stderr"] as const).filter((k) => a[k]);

export function buildRunPlan(i: RunInput): Step[] {
  const s = i.spec;
  const ns = (k: NamespaceKind) => i.namespaces.find((n) => n.kind === k)?.how ?? "new";
  let cloneFlags = 0;
  for (const n of i.namespaces) if (n.how === "new" && n.kind !== "cgroup") cloneFlags |= ORDERED_NAMESPACES.find((o) => o.kind === n.kind)!.flag;

  const steps: Step[] = [
    { op: "MODE", args: ["run"] },
    { op: "CLONE_FLAGS", args: [String(cloneFlags)] },
    { op: "STATE_DIR", args: [i.stateDir] },
    { op: "LOG_PATH", args: [i.logPath] },
    { op: "STDIO", args: [i.stdio ?? (s.tty ? "tty" : "pipe")] },
    { op: "ATTACH", args: words(i.attach) },
  ];
  if (i.winsize) steps.push({ op: "WINSIZE", args: [String(i.winsize.rows), String(i.winsize.cols)] });
  if (i.idMap) {
    steps.push({ op: "UID_MAP", args: [i.idMap.uid] }, { op: "GID_MAP", args: [i.idMap.gid] });
    // the image's files are owned by host ids: an idmapped mount shows them as the container's
    if (!i.rootfsMapped) steps.push({ op: "IDMAP_ROOTFS", args: [i.rootfs] });
  }
  for (const p of i.cgroupProcs) steps.push({ op: "CGROUP_JOIN", args: [p] });
  // joined by the monitor, so the init is born inside: pid always; net when the
  // init gets a user namespace of its own, which would not own the netns
  // a joined user namespace (OCI linux.namespaces user with a path) is entered
  // by the monitor too, last, so the namespaces it clones belong to it
  const joinedUser = i.namespaces.some((n) => n.kind === "user" && n.how === "join");
  const userns = i.idMap !== undefined || joinedUser;
  const byMonitor = (n: NsChoice) => n.how === "join" && (n.kind === "pid" || n.kind === "user" || (n.kind === "net" && userns));
  for (const n of i.namespaces) if (byMonitor(n) && n.kind !== "user") steps.push({ op: "SETNS", args: [n.kind, n.path!] });
  for (const n of i.namespaces) if (byMonitor(n) && n.kind === "user") steps.push({ op: "SETNS", args: [n.kind, n.path!] });
  const made = i.namespaces.find((n) => n.how === "make");
  // with the /etc files the init mounts (net/modes.ts netFiles): the monitor makes them empty, the CLI fills them
  if (made) steps.push({ op: "NETNS", args: [made.path!, ...(i.files ?? []).map((f) => f.source)] });
  if (s.restart.name !== "no") steps.push({ op: "RESTART", args: [s.restart.name, String(s.restart.maxRetries)] });
  if (i.onExit) steps.push({ op: "ON_EXIT", args: i.onExit });
  if (i.oomCounter) steps.push({ op: "OOM_COUNTER", args: [i.oomCounter] });
  if (i.events) steps.push({ op: "EVENTS", args: [i.events.path, i.events.actor, i.events.namesDir, i.events.id, i.events.name] });
  if (i.execFifo) steps.push({ op: "EXEC_FIFO", args: [i.execFifo] });
  if (i.consoleSocket) steps.push({ op: "CONSOLE_SOCKET", args: [i.consoleSocket] });

  // --- the init, in order ---
  for (const o of ORDERED_NAMESPACES) {
    const n = i.namespaces.find((x) => x.kind === o.kind);
    if (n?.how === "join" && !byMonitor(n)) steps.push({ op: "SETNS_CHILD", args: [o.kind, n.path!] });
  }
  // joined to its cgroup by now, so a new cgroup namespace is rooted there
  if (ns("cgroup") === "new") steps.push({ op: "UNSHARE", args: [String(CLONE.NEWCGROUP)] });
  // rslave, unless asked otherwise; a shared volume needs the host's peer
  // groups kept, so then only "/" is made shared, as Docker asks of runc
  const sharedVolume = !i.fs && s.mounts.some((m) => m.options.includes("shared") || m.options.includes("rshared"));
  steps.push({ op: "PROPAGATION", args: [String(i.fs?.propagation ?? (sharedVolume ? MS.SHARED : MS.SLAVE | MS.REC))] });
  steps.push({ op: "ROOTFS", args: [i.rootfs] });
  // propagation types asked for (rootfsPropagation, rshared volumes...) are set
  // after pivot_root: detaching the old root makes the whole new tree rslave
  const propagation: [string, number][] = [];
  if (i.fs && i.fs.propagation !== (MS.SLAVE | MS.REC)) propagation.push(["/", i.fs.propagation]);
  const mount = (source: string, target: string, fstype: string, flags: number, data: string, create: string, prop = 0) => {
    steps.push({ op: "MOUNT", args: [source, target, fstype, String(flags), data, create] });
    if (prop) propagation.push([target, prop]);
  };
  for (const m of i.fs?.mounts ?? []) mount(m.source, m.target, m.fstype, m.flags, m.data, m.create, m.propagation);
  for (const m of i.fs ? [] : DEFAULT_MOUNTS) mount(m.source, m.target, m.fstype, m.flags, m.data, "dir");
  // the container's own cgroups, read-only; v1 cannot be mounted from a user namespace
  const cgroupfs = ns("cgroup") === "new" && !userns && !i.fs ? (i.cgroupMounts ?? []) : [];
  // a new sysfs shows the container's own network devices (a new netns, or a
  // joined one: net/'s or another container's); on the host's netns (or with a
  // user namespace) the kernel refuses it: bind the host's, read-only. Its
  // submounts come along only when no cgroupfs of the container's own follows:
  // on a v2 host a cgroup2 mount on top of the host's cgroup2 mount is EBUSY
  // (same superblock), and a fresh sysfs has no submounts either.
  if (!i.fs) {
    if (ns("net") !== "host" && !userns) mount(SYSFS.source, SYSFS.target, SYSFS.fstype, s.security.privileged ? SYSFS.flags & ~MS.RDONLY : SYSFS.flags, SYSFS.data, "dir");
    else mount("/sys", "/sys", "", MS.BIND | (cgroupfs.length ? 0 : MS.REC) | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, "", "dir");
  }
  const rw = (f: number) => (s.security.privileged ? f & ~MS.RDONLY : f);
  for (const m of cgroupfs) mount(m.source, m.target, m.fstype, rw(m.flags), m.data, "dir");
  for (const d of [...DEFAULT_DEVICES, ...(i.fs?.devices ?? []), ...(i.devices ?? [])]) {
    // in a user namespace mknod is not allowed: bind the host's node instead
    if (userns) steps.push({ op: "BIND_DEV", args: [d.hostPath ?? d.path, d.path] });
    else steps.push({ op: "MKNOD", args: [d.path, d.type, String(d.major), String(d.minor), String(d.mode), "0", "0"] });
  }
  for (const [path, target] of DEV_SYMLINKS) steps.push({ op: "SYMLINK", args: [path, target] });
  for (const f of i.files ?? []) {
    // a volume the user mounts on the same path wins, as with Docker
    if (!s.mounts.some((m) => m.target === f.target)) mount(f.source, f.target, "", MS.BIND | MS.NOSUID | MS.NODEV | MS.NOEXEC, "", "file");
  }
  for (const m of i.fs ? [] : s.mounts) {
    if (m.type === "tmpfs") {
      const opts = m.options.filter((o) => !["ro", "rw", "nosuid", "nodev", "noexec"].includes(o));
      mount("tmpfs", m.target, "tmpfs", MS.NOSUID | MS.NODEV | (m.readonly ? MS.RDONLY : 0) | optFlags(m.options), opts.join(","), "dir");
    } else {
      const rec = m.options.includes("bind") ? 0 : MS.REC;
      const prop = m.options.find((o) => o in PROPAGATION && o !== "");
      mount(m.source!, m.target, "", MS.BIND | rec | (m.readonly ? MS.RDONLY : 0) | optFlags(m.options), "", m.options.includes("file") ? "file" : "dir", prop ? PROPAGATION[prop] : 0);
    }
  }
  hookSteps("createContainer", i.hooks?.createContainer, steps);
  steps.push({ op: "PIVOT_ROOT", args: [] });
  for (const [target, flags] of propagation) steps.push({ op: "PROPAGATION", args: [String(flags), target] });
  if (s.tty) steps.push({ op: "PTY", args: ["console"] });
  if (ns("uts") === "new") {
    steps.push({ op: "HOSTNAME", args: [i.hostname] });
    if (s.domainname) steps.push({ op: "DOMAINNAME", args: [s.domainname] });
  }
  // (a namespace the monitor makes gets lo up from it: net/wire-plan.ts)
  if (ns("net") === "new") steps.push({ op: "LO_UP", args: [] });
  for (const [k, v] of Object.entries(s.sysctls)) steps.push({ op: "SYSCTL", args: [k.replaceAll(".", "/"), v] });
  if (i.fs) {
    for (const p of i.fs.masked) steps.push({ op: "MASK", args: [p] });
    for (const p of i.fs.readonly) steps.push({ op: "READONLY", args: [p] });
  } else if (!s.security.privileged) {
    for (const p of MASKED_PATHS) steps.push({ op: "MASK", args: [p] });
    for (const p of READONLY_PATHS) steps.push({ op: "READONLY", args: [p] });
    // the tmpfs holding the v1 hierarchies had to be writable for their mount points
    if (cgroupfs[0]?.fstype === "tmpfs") steps.push({ op: "READONLY", args: [cgroupfs[0].target] });
  }
  if (s.readOnly) steps.push({ op: "ROOT_READONLY", args: [] });
  for (const u of s.ulimits) steps.push({ op: "RLIMIT", args: [String(RLIMITS[u.name]), String(u.soft), String(u.hard)] });
  steps.push({ op: "CHDIR", args: [s.workdir || "/"] });
  steps.push(...processSteps(i.user, i.caps, s.security.noNewPrivileges, i.seccomp, i.env, i.argv));
  if (i.preserveFds) steps.splice(steps.length - 1, 0, { op: "PRESERVE_FDS", args: [String(i.preserveFds)] });
  // the executor keeps these until EXEC has passed the exec fifo (`start`), as runc runs them
  if (i.hooks?.startContainer) {
    const tail = steps.splice(steps.length - 1);
    hookSteps("startContainer", i.hooks.startContainer, steps);
    steps.push(...tail);
  }
  // as late as can be: the rootfs is ready meanwhile; the command runs only on a wired network
  if (i.gate !== undefined) steps.splice(steps.length - 1, 0, { op: "GATE", args: [String(i.gate)] });
  return steps;
}

function hookSteps(kind: string, hooks: InitHook[] | undefined, steps: Step[]): void {
  for (const h of hooks ?? []) {
    steps.push({ op: "HOOK", args: [kind, h.path, String(h.timeout), h.state[0], h.state[1], String(h.args.length), ...h.args, ...h.env] });
  }
}

/** The tail both the init and an exec'd process go through: identity, privileges, exec. */
function processSteps(user: ResolvedUser, caps: bigint, nnp: boolean, seccomp: Uint8Array | null, env: string[], argv: string[]): Step[] {
  const steps: Step[] = [{ op: "CAP_BOUNDING", args: [hex(caps)] }];
  // without no_new_privs the filter can only be loaded while CAP_SYS_ADMIN is still effective
  if (seccomp && !nnp) steps.push({ op: "SECCOMP", args: [seccomp] });
  steps.push({ op: "USER", args: [String(user.uid), String(user.gid), user.groups.join(",")] });
  // Docker: root keeps the set; any other user starts with none effective
  const eff = user.uid === 0 ? caps : 0n;
  steps.push({ op: "CAPSET", args: [hex(eff), hex(eff), "0", "0"] });
  if (nnp) steps.push({ op: "NO_NEW_PRIVS", args: [] });
  if (seccomp && nnp) steps.push({ op: "SECCOMP", args: [seccomp] });
  steps.push({ op: "ENV", args: env }, { op: "ARGV", args: argv }, { op: "EXEC", args: [] });
  return steps;
}

function optFlags(opts: string[]): number {
  const table: Record<string, number> = { nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, ro: MS.RDONLY };
  return opts.reduce((f, o) => f | (table[o] ?? 0), 0);
}

export function buildExecPlan(i: ExecInput): Step[] {
  const steps: Step[] = [
    { op: "MODE", args: ["exec"] },
    { op: "CLONE_FLAGS", args: ["0"] },
    { op: "STDIO", args: [i.stdio ?? (i.tty ? "tty" : "pipe")] },
    { op: "ATTACH", args: words(i.attach) },
  ];
  if (i.winsize) steps.push({ op: "WINSIZE", args: [String(i.winsize.rows), String(i.winsize.cols)] });
  if (i.consoleSocket) steps.push({ op: "CONSOLE_SOCKET", args: [i.consoleSocket] });
  for (const p of i.cgroupProcs) steps.push({ op: "CGROUP_JOIN", args: [p] });
  const nsPath = (proc: string) => `/proc/${i.initPid}/ns/${proc}`;
  if (i.namespaces.includes("pid")) steps.push({ op: "SETNS", args: ["pid", nsPath("pid")] });
  for (const o of ORDERED_NAMESPACES) {
    if (o.kind !== "pid" && i.namespaces.includes(o.kind)) steps.push({ op: "SETNS_CHILD", args: [o.kind, nsPath(o.proc)] });
  }
  if (i.tty) steps.push({ op: "PTY", args: [] });
  steps.push({ op: "CHDIR", args: [i.cwd] });
  steps.push(...processSteps(i.user, i.caps, i.noNewPrivileges, i.seccomp, i.env, i.argv));
  return steps;
}

export interface RestoreInput {
  stateDir: string;
  logPath: string;
  oomCounter?: string;
  /** the criu argv (the binary first), its --inherit-fd options naming fds 3.. in the order of `inherit` */
  criuArgv: string[];
  /** where CRIU writes the restored init's pid */
  pidFile: string;
  /** what CRIU gets as its fds 3..: the monitor's new stdio pipes, or a path it opens (the network namespace) */
  inherit: ("stdin" | "stdout" | "stderr" | string)[];
}

/** The monitor runs `criu restore` instead of an init; the tree CRIU brings back is its child. */
export function buildRestorePlan(i: RestoreInput): Step[] {
  const steps: Step[] = [
    { op: "MODE", args: ["restore"] },
    { op: "CLONE_FLAGS", args: ["0"] },
    { op: "STATE_DIR", args: [i.stateDir] },
    { op: "LOG_PATH", args: [i.logPath] },
    { op: "STDIO", args: ["pipe"] },
    { op: "ATTACH", args: [] },
  ];
  if (i.oomCounter) steps.push({ op: "OOM_COUNTER", args: [i.oomCounter] });
  for (const w of i.inherit) steps.push({ op: "INHERIT_FD", args: [w] });
  steps.push({ op: "CRIU_RESTORE", args: [i.pidFile, ...i.criuArgv] });
  return steps;
}
