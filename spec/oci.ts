// An OCI bundle's config.json (runtime-spec 1.x) -> ContainerSpec: the path
// containerd, CRI-O and Podman take (`ctr oci create`). Pure: the caller reads
// the file. What Docker's flags cannot say (the exact mount list, masked and
// read-only paths, devices, id maps, cgroupsPath) goes into spec.oci, which
// the plan uses instead of Docker's defaults.
import { SpecError } from "./errors.ts";
import { checkRlimitName } from "./ulimits.ts";
import { type ContainerSpec, defaultSpec, HOOK_KINDS, type NamespaceKind, type OciDevice, type OciHook, type OciMount } from "./types.ts";

export interface OciParsed {
  spec: ContainerSpec;
  /** the seccomp profile in the format runtime/process/seccomp.ts compiles (Docker's JSON), if any */
  seccomp?: Record<string, unknown>;
  /** what was given but is not applied (apparmor, selinux labels...): the CLI prints each */
  warnings: string[];
}

type Json = Record<string, any>;

/** OCI namespace type -> ctr's kind (the runtime-spec says "network", ctr "net"). */
const NS_KINDS: Record<string, NamespaceKind> = {
  pid: "pid", network: "net", mount: "mount", ipc: "ipc", uts: "uts", user: "user", cgroup: "cgroup",
};

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function strings(v: unknown, key: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new SpecError(`config.json: ${key} must be a list of strings`);
  return v as string[];
}

function uint(v: unknown, key: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new SpecError(`config.json: ${key} must be a non-negative integer`);
  return v;
}

export function parseOciConfig(config: unknown, bundle: string): OciParsed {
  if (!isObj(config)) throw new SpecError("config.json: not a JSON object");
  const warnings: string[] = [];
  const ver = config.ociVersion;
  if (typeof ver !== "string" || !/^1\./.test(ver)) throw new SpecError(`config.json: unsupported ociVersion ${JSON.stringify(ver)}: ctr reads runtime-spec 1.x`);
  const proc = config.process;
  if (!isObj(proc)) throw new SpecError("config.json: process is missing (ctr runs one process per container)");
  const args = strings(proc.args, "process.args");
  if (args.length === 0) throw new SpecError("config.json: process.args must not be empty");
  if (!isObj(config.root) || typeof config.root.path !== "string") throw new SpecError("config.json: root.path is missing");
  const linux: Json = isObj(config.linux) ? config.linux : {};

  const spec = defaultSpec();
  const rootPath = config.root.path as string;
  spec.rootfs = rootPath.startsWith("/") ? rootPath : `${bundle}/${rootPath}`;
  spec.readOnly = config.root.readonly === true;
  spec.entrypoint = args;
  spec.command = [];
  spec.env = {};
  for (const e of strings(proc.env, "process.env")) {
    const eq = e.indexOf("=");
    if (eq <= 0) throw new SpecError(`config.json: process.env entry ${JSON.stringify(e)} is not NAME=VALUE`);
    spec.env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  if (typeof proc.cwd !== "string" || !proc.cwd.startsWith("/")) throw new SpecError("config.json: process.cwd must be an absolute path");
  spec.workdir = proc.cwd;
  spec.tty = proc.terminal === true;
  const user: Json = isObj(proc.user) ? proc.user : {};
  const uid = uint(user.uid, "process.user.uid", 0);
  const gid = uint(user.gid, "process.user.gid", 0);
  const additionalGids = ((user.additionalGids ?? []) as unknown[]).map((g, i) => uint(g, `process.user.additionalGids[${i}]`));
  spec.user = `${uid}:${gid}`;
  spec.groupAdd = additionalGids.map(String);
  spec.hostname = typeof config.hostname === "string" ? config.hostname : undefined;
  if (typeof config.domainname === "string") spec.domainname = config.domainname;

  // capabilities: the bounding set is what ctr computes from; runc's own sets agree for root
  const caps: Json = isObj(proc.capabilities) ? proc.capabilities : {};
  spec.security = {
    privileged: false,
    capAdd: strings(caps.bounding, "process.capabilities.bounding"),
    capDrop: ["ALL"],
    seccomp: "unconfined",
    noNewPrivileges: proc.noNewPrivileges === true,
  };
  if (proc.apparmorProfile) warnings.push(`apparmor profile ${JSON.stringify(proc.apparmorProfile)} ignored: ctr does not apply AppArmor`);
  if (proc.selinuxLabel) warnings.push(`selinux label ${JSON.stringify(proc.selinuxLabel)} ignored: ctr does not apply SELinux`);
  if (linux.mountLabel) warnings.push(`selinux mount label ${JSON.stringify(linux.mountLabel)} ignored: ctr does not apply SELinux`);

  spec.ulimits = ((proc.rlimits ?? []) as Json[]).map((r, i) => {
    const type = String(r?.type ?? "");
    if (!type.startsWith("RLIMIT_")) throw new SpecError(`config.json: process.rlimits[${i}].type ${JSON.stringify(type)} is not RLIMIT_*`);
    const name = checkRlimitName(type.slice(7));
    // 2^64-1 (RLIM_INFINITY) does not survive JSON as a number: anything past 2^53 is unlimited
    const val = (v: unknown) => (typeof v === "number" && v >= Number.MAX_SAFE_INTEGER ? -1 : uint(v, `process.rlimits[${i}]`));
    return { name, soft: val(r.soft), hard: val(r.hard) };
  });

  // namespaces: a kind not listed is the host's; one with a path is joined
  spec.namespaces = {};
  for (const kind of Object.values(NS_KINDS)) spec.namespaces[kind] = { mode: "host" };
  for (const [i, n] of ((linux.namespaces ?? []) as Json[]).entries()) {
    const kind = NS_KINDS[String(n?.type)];
    if (!kind) throw new SpecError(`config.json: linux.namespaces[${i}].type ${JSON.stringify(n?.type)} is not one of ${Object.keys(NS_KINDS).join(", ")}`);
    spec.namespaces[kind] = typeof n.path === "string" && n.path ? { mode: "path", path: n.path } : { mode: "private" };
  }
  const net = spec.namespaces.net!;
  // a new network namespace is left as config.json has it: only lo (hooks or the caller wire it)
  spec.network.mode = net.mode === "host" ? "host" : net.mode === "path" ? `ns:${net.path}` : "none";

  const maps = (v: unknown, key: string) =>
    ((v ?? []) as Json[]).map((m, i) => `${uint(m?.containerID, `${key}[${i}].containerID`)} ${uint(m?.hostID, `${key}[${i}].hostID`)} ${uint(m?.size, `${key}[${i}].size`)}`);
  const uidMappings = maps(linux.uidMappings, "linux.uidMappings");
  const gidMappings = maps(linux.gidMappings, "linux.gidMappings");
  if (spec.namespaces.user?.mode === "private" && (uidMappings.length === 0 || gidMappings.length === 0)) {
    throw new SpecError("config.json: a new user namespace needs linux.uidMappings and linux.gidMappings");
  }

  const mounts: OciMount[] = ((config.mounts ?? []) as Json[]).map((m, i) => {
    if (typeof m?.destination !== "string" || !m.destination.startsWith("/")) throw new SpecError(`config.json: mounts[${i}].destination must be an absolute path`);
    const out: OciMount = { destination: m.destination, options: strings(m.options, `mounts[${i}].options`) };
    if (typeof m.type === "string") out.type = m.type;
    const bind = m.type === "bind" || out.options!.some((o) => o === "bind" || o === "rbind");
    // a relative bind source is relative to the bundle (runc); other sources are names ("proc", "tmpfs")
    if (typeof m.source === "string") out.source = bind && !m.source.startsWith("/") ? `${bundle}/${m.source}` : m.source;
    return out;
  });

  const devices: OciDevice[] = ((linux.devices ?? []) as Json[]).map((d, i) => {
    if (typeof d?.path !== "string" || !["c", "b", "u", "p"].includes(d.type)) throw new SpecError(`config.json: linux.devices[${i}] needs a path and a type c, b, u or p`);
    return {
      path: d.path, type: d.type, major: uint(d.major, `linux.devices[${i}].major`, 0), minor: uint(d.minor, `linux.devices[${i}].minor`, 0),
      fileMode: uint(d.fileMode, `linux.devices[${i}].fileMode`, 0o666), uid: uint(d.uid, `linux.devices[${i}].uid`, 0), gid: uint(d.gid, `linux.devices[${i}].gid`, 0),
    };
  });

  spec.resources = resources(isObj(linux.resources) ? linux.resources : {}, warnings);
  spec.sysctls = isObj(linux.sysctl) ? Object.fromEntries(Object.entries(linux.sysctl).map(([k, v]) => [k, String(v)])) : {};
  const annotations = isObj(config.annotations) ? Object.fromEntries(Object.entries(config.annotations).map(([k, v]) => [k, String(v)])) : {};
  spec.labels = { ...annotations };

  const propagation = typeof linux.rootfsPropagation === "string" ? linux.rootfsPropagation : "";
  if (propagation && !PROPAGATIONS.includes(propagation)) throw new SpecError(`config.json: linux.rootfsPropagation ${JSON.stringify(propagation)} is not one of ${PROPAGATIONS.join(", ")}`);
  const hooks = parseHooks(config.hooks, warnings);
  spec.oci = {
    bundle,
    mounts,
    maskedPaths: strings(linux.maskedPaths, "linux.maskedPaths"),
    readonlyPaths: strings(linux.readonlyPaths, "linux.readonlyPaths"),
    rootfsPropagation: propagation,
    exactEnv: true,
    uid,
    gid,
    additionalGids,
    devices,
    cgroupsPath: typeof linux.cgroupsPath === "string" && linux.cgroupsPath ? linux.cgroupsPath : undefined,
    annotations,
    uidMappings,
    gidMappings,
  };
  if (hooks) spec.oci.hooks = hooks;

  let seccomp: Record<string, unknown> | undefined;
  if (isObj(linux.seccomp)) {
    // the caller writes it to a file and points spec.security.seccomp at it
    seccomp = ociSeccomp(linux.seccomp, warnings);
  }
  return { spec, seccomp, warnings };
}



function parseHooks(v: unknown, warnings: string[]): NonNullable<ContainerSpec["oci"]>["hooks"] {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new SpecError("config.json: hooks must be an object");
  const out: NonNullable<NonNullable<ContainerSpec["oci"]>["hooks"]> = {};
  for (const [kind, list] of Object.entries(v)) {
    if (!Array.isArray(list) || list.length === 0) continue;
    if (!(HOOK_KINDS as readonly string[]).includes(kind)) {
      warnings.push(`unknown hook kind ${JSON.stringify(kind)}: ${list.length} ignored`);
      continue;
    }
    out[kind as (typeof HOOK_KINDS)[number]] = list.map((h: Json, i: number) => {
      if (!isObj(h) || typeof h.path !== "string" || !h.path.startsWith("/")) throw new SpecError(`config.json: hooks.${kind}[${i}].path must be an absolute path`);
      const hook: OciHook = { path: h.path };
      if (h.args !== undefined) hook.args = strings(h.args, `hooks.${kind}[${i}].args`);
      if (h.env !== undefined) hook.env = strings(h.env, `hooks.${kind}[${i}].env`);
      if (h.timeout !== undefined) hook.timeout = uint(h.timeout, `hooks.${kind}[${i}].timeout`);
      return hook;
    });
  }
  return Object.keys(out).length ? out : undefined;
}

export const PROPAGATIONS = ["shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable"];

/** linux.resources (config.json, or `update --resources`) -> ctr's ResourceSpec. */
export function resources(r: Json, warnings: string[]): ContainerSpec["resources"] {
  const out: ContainerSpec["resources"] = {};
  const mem: Json = isObj(r.memory) ? r.memory : {};
  if (typeof mem.limit === "number" && mem.limit > 0) out.memory = mem.limit;
  if (typeof mem.swap === "number" && mem.swap !== 0) out.memorySwap = mem.swap;
  if (typeof mem.reservation === "number" && mem.reservation > 0) out.memoryReservation = mem.reservation;
  const cpu: Json = isObj(r.cpu) ? r.cpu : {};
  if (typeof cpu.shares === "number" && cpu.shares > 0) out.cpuShares = cpu.shares;
  if (typeof cpu.quota === "number" && cpu.quota > 0) out.cpuQuota = cpu.quota;
  if (typeof cpu.period === "number" && cpu.period > 0) out.cpuPeriod = cpu.period;
  if (typeof cpu.cpus === "string" && cpu.cpus) out.cpusetCpus = cpu.cpus;
  if (typeof cpu.mems === "string" && cpu.mems) out.cpusetMems = cpu.mems;
  if (isObj(r.pids) && typeof r.pids.limit === "number" && r.pids.limit > 0) out.pidsLimit = r.pids.limit;
  if (isObj(r.blockIO) && typeof r.blockIO.weight === "number") out.blkioWeight = r.blockIO.weight;
  // devices: ctr starts from Docker's allow-list (deny all + the usual nodes);
  // config.json's allow rules are added to it, its deny-all is that default
  const rules: string[] = [];
  for (const d of (r.devices ?? []) as Json[]) {
    const access = typeof d.access === "string" && d.access ? d.access : "rwm";
    if (!d.allow) {
      if (d.type === undefined || d.type === "a") continue;
      warnings.push(`device cgroup deny rule ${d.type} ${d.major ?? "*"}:${d.minor ?? "*"} ignored: ctr's default allow-list is the base`);
      continue;
    }
    const n = (v: unknown) => (typeof v === "number" && v >= 0 ? String(v) : "*");
    rules.push(`${d.type ?? "a"} ${n(d.major)}:${n(d.minor)} ${access}`);
  }
  if (rules.length) out.deviceCgroupRules = rules;
  return out;
}

/**
 * The OCI seccomp object is Docker's profile format less archMap and with
 * listener fields: keep what the compiler reads, warn about the rest.
 */
function ociSeccomp(s: Json, warnings: string[]): Record<string, unknown> {
  if (typeof s.defaultAction !== "string") throw new SpecError("config.json: linux.seccomp.defaultAction is missing");
  if (s.listenerPath) warnings.push("seccomp listenerPath ignored: SCMP_ACT_NOTIFY needs a listener ctr does not provide");
  const out: Record<string, unknown> = { defaultAction: s.defaultAction };
  if (typeof s.defaultErrnoRet === "number") out.defaultErrnoRet = s.defaultErrnoRet;
  if (Array.isArray(s.architectures)) out.architectures = s.architectures;
  if (Array.isArray(s.flags)) out.flags = s.flags;
  out.syscalls = ((s.syscalls ?? []) as Json[]).map((r) => {
    const rule: Json = { names: r.names, action: r.action };
    if (typeof r.errnoRet === "number") rule.errnoRet = r.errnoRet;
    if (Array.isArray(r.args)) rule.args = r.args.map((a: Json) => ({ index: a.index, value: a.value, ...(a.valueTwo !== undefined ? { valueTwo: a.valueTwo } : {}), op: a.op }));
    return rule;
  });
  return out;
}

/** A process.json for `exec --process` (runtime-spec config.md#process). */
export interface OciProcess {
  args: string[];
  env: string[];
  cwd: string;
  /** "uid:gid" */
  user: string;
  tty: boolean;
}

export function parseOciProcess(proc: unknown): OciProcess {
  if (!isObj(proc)) throw new SpecError("process.json: not a JSON object");
  const args = strings(proc.args, "args");
  if (args.length === 0) throw new SpecError("process.json: args must not be empty");
  const user: Json = isObj(proc.user) ? proc.user : {};
  return {
    args,
    env: strings(proc.env, "env"),
    cwd: typeof proc.cwd === "string" && proc.cwd ? proc.cwd : "/",
    user: `${uint(user.uid, "user.uid", 0)}:${uint(user.gid, "user.gid", 0)}`,
    tty: proc.terminal === true,
  };
}
