// The flags of `ctr run` / `ctr create`, with Docker's names, and how each one
// changes a ContainerSpec. The CLI does:
//
//   const args = parseRunArgv(argv);            // syntax only
//   if (args.help) print(formatFlagHelp(RUN_FLAGS));
//   const { spec, warnings } = buildRunSpec(args, { env: process.env, cwd: process.cwd() });
//
// buildRunSpec loads -f FILE (or starts from defaultSpec()), applies the
// flags over it, then the positionals: the first names the image, or the
// rootfs when it is a path ("/x", "./x"), and the rest replace the command.
//
// Scalar flags replace the file's value. List and map flags add to the
// file's (a key given on the command line wins; a mount on the same target
// replaces the file's mount).

import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { applyFlagUses, type FlagDef, type FlagUse, parseArgv } from "./argv.ts";
import { parseCapability } from "./capabilities.ts";
import { addEnvEntry, type HostEnv, parseEnvFile, parseKeyValue } from "./env.ts";
import { SpecError, suggestion } from "./errors.ts";
import { isPathLike, parseMountFlag, parseTmpfs, parseVolume, setMount } from "./mounts.ts";
import { applyUserns, parseNamespace, setNamespace, setNetworkMode } from "./namespaces.ts";
import { addPorts, parseContainerName, parseExpose, parseExtraHost, parseIp, parseMac, parseNetworkName, parsePort } from "./network.ts";
import { parseGroup, parseHostname, parseUser, parseWorkdir } from "./process.ts";
import {
  checkBlkioWeight, checkCpuPeriod, checkCpuQuota, checkCpuShares, parseChecked, parseCpuset, parseDevice, parseDeviceRate,
  parseMemorySwap, pidsLimitOrUndefined,
} from "./resources.ts";
import { parseRestart } from "./restart.ts";
import { parseSignal } from "./signals.ts";
import { type ContainerSpec, defaultSpec, type MountSpec } from "./types.ts";
import { parseUlimit, setUlimit } from "./ulimits.ts";
import { parseBool, parseCpus, parseDuration, parseInteger, parseSize } from "./units.ts";
import { validateSpec } from "./validate.ts";

/** What applying the run flags needs besides the spec. */
export interface RunFlagContext {
  /** the caller's environment, for `-e NAME` and env-file entries without a value */
  env: HostEnv;
  /** relative bind sources, rootfs, env-files and seccomp profiles resolve against this */
  cwd?: string;
  /** reads an --env-file */
  readFile: (path: string) => string;
  /** the first --network replaces the file's choice; later ones add networks */
  networkSeen: boolean;
  /** targets mounted by flags, to catch the same target given twice */
  flagMountTargets: Set<string>;
}

type RunFlag = FlagDef<ContainerSpec, RunFlagContext>;

const bool = (
  name: string,
  short: string | undefined,
  description: string,
  apply: (s: ContainerSpec, v: boolean) => void,
): RunFlag => ({ kind: "bool", name, ...(short === undefined ? {} : { short }), description, apply });

const value = (
  kind: "string" | "list",
  name: string,
  short: string | undefined,
  valueName: string,
  description: string,
  apply: (s: ContainerSpec, v: string, ctx: RunFlagContext) => void,
): RunFlag => ({ kind, name, ...(short === undefined ? {} : { short }), value: valueName, description, apply });

const str = (name: string, short: string | undefined, valueName: string, description: string, apply: (s: ContainerSpec, v: string, ctx: RunFlagContext) => void) =>
  value("string", name, short, valueName, description, apply);
const list = (name: string, short: string | undefined, valueName: string, description: string, apply: (s: ContainerSpec, v: string, ctx: RunFlagContext) => void) =>
  value("list", name, short, valueName, description, apply);

const pushUnique = <T>(arr: T[], v: T) => {
  if (!arr.includes(v)) arr.push(v);
};

const inCwd = (ctx: RunFlagContext, p: string) => (ctx.cwd !== undefined && !isAbsolute(p) ? resolve(ctx.cwd, p) : p);

function addFlagMount(spec: ContainerSpec, m: MountSpec, ctx: RunFlagContext): void {
  const t = m.target.replace(/\/+$/, "");
  if (ctx.flagMountTargets.has(t)) throw new SpecError(`Duplicate mount point: ${m.target}`);
  ctx.flagMountTargets.add(t);
  if (m.type === "bind" && m.source !== undefined) m.source = inCwd(ctx, m.source);
  setMount(spec.mounts, m);
}

const SECURITY_OPTS = ["seccomp", "no-new-privileges", "apparmor", "label"];

/**
 * --security-opt: seccomp=unconfined|default|PATH, no-new-privileges[=bool].
 * apparmor=unconfined and label=disable are accepted and do nothing: ctr
 * applies no LSM profile, so asking for none changes nothing; asking for a
 * particular profile is refused rather than silently not enforced.
 */
function applySecurityOpt(spec: ContainerSpec, v: string, ctx: RunFlagContext): void {
  // Docker took "key:value" before "key=value" and still accepts both.
  const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(v);
  const key = m?.[1] ?? v;
  const val = m?.[2];
  switch (key) {
    case "seccomp":
      if (val === undefined || val === "") throw new SpecError("seccomp needs a value: unconfined, default or a profile path");
      spec.security.seccomp = val === "unconfined" || val === "default" ? val : inCwd(ctx, val);
      return;
    case "no-new-privileges":
      spec.security.noNewPrivileges = val === undefined || val === "" ? true : parseBool(val);
      return;
    case "apparmor":
      if (val === "unconfined") return;
      throw new SpecError("AppArmor profiles are not supported by ctr (only apparmor=unconfined is accepted)");
    case "label":
      if (val === "disable") return;
      throw new SpecError("SELinux labels are not supported by ctr (only label=disable is accepted)");
    default:
      throw new SpecError(`unknown security option ${JSON.stringify(key)}${suggestion(key, SECURITY_OPTS)}`);
  }
}

/** The flag table; the order here is the order of --help. */
export const RUN_FLAGS: readonly RunFlag[] = [
  str("file", "f", "path", "Container file (TOML) to start from; flags override it", () => {}),
  bool("detach", "d", "Run the container in the background and print its ID", (s, v) => (s.detach = v)),
  bool("interactive", "i", "Keep STDIN open even if not attached", (s, v) => (s.interactive = v)),
  bool("tty", "t", "Allocate a pseudo-TTY", (s, v) => (s.tty = v)),
  bool("rm", undefined, "Automatically remove the container when it exits", (s, v) => (s.autoRemove = v)),
  str("name", undefined, "string", "Assign a name to the container", (s, v) => (s.name = parseContainerName(v))),
  list("env", "e", "list", "Set environment variables (NAME=value, or NAME to pass the current value)", (s, v, ctx) =>
    addEnvEntry(s.env, v, ctx.env),
  ),
  list("env-file", undefined, "list", "Read in a file of environment variables", (s, v, ctx) => {
    let text: string;
    try {
      text = ctx.readFile(inCwd(ctx, v));
    } catch (e) {
      // Docker's wording: "open FILE: no such file or directory".
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : String((e as Error).message);
      throw new SpecError(`open ${v}: ${why}`);
    }
    Object.assign(s.env, parseEnvFile(text, ctx.env));
  }),
  str("workdir", "w", "string", "Working directory inside the container", (s, v) => (s.workdir = parseWorkdir(v))),
  str("user", "u", "string", "Username or UID (format: <name|uid>[:<group|gid>])", (s, v) => (s.user = parseUser(v))),
  list("group-add", undefined, "list", "Add additional groups to join", (s, v) => pushUnique(s.groupAdd, parseGroup(v))),
  str("hostname", "h", "string", "Container host name", (s, v) => (s.hostname = parseHostname(v))),
  str("domainname", undefined, "string", "Container NIS domain name", (s, v) => (s.domainname = parseHostname(v, "domain name"))),
  bool("read-only", undefined, "Mount the container's root filesystem as read only", (s, v) => (s.readOnly = v)),
  str("pull", undefined, "string", 'Pull image before running ("always", "missing", "never") (default "missing")', (s, v) => {
    if (v !== "always" && v !== "missing" && v !== "never") throw new SpecError(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
    s.pull = v;
  }),
  str("entrypoint", undefined, "string", 'Overwrite the default ENTRYPOINT of the image ("" clears it)', (s, v) => {
    // Like Docker, the value is one executable, not split into words.
    s.entrypoint = v === "" ? [] : [v];
  }),
  list("label", "l", "list", "Set metadata on a container (key=value)", (s, v) => {
    const [k, val] = parseKeyValue(v, "label", true);
    s.labels[k] = val;
  }),
  str("restart", undefined, "string", "Restart policy: no, always, unless-stopped, on-failure[:max-retries]", (s, v) => (s.restart = parseRestart(v))),
  str("memory", "m", "bytes", "Memory limit", (s, v) => (s.resources.memory = parseSize(v))),
  str("memory-swap", undefined, "bytes", "Swap limit equal to memory plus swap: -1 to enable unlimited swap", (s, v) => (s.resources.memorySwap = parseMemorySwap(v))),
  str("memory-reservation", undefined, "bytes", "Memory soft limit", (s, v) => (s.resources.memoryReservation = parseSize(v))),
  str("kernel-memory", undefined, "bytes", "Kernel memory limit (cgroup v1 only)", (s, v) => (s.resources.kernelMemory = parseSize(v))),
  str("cpus", undefined, "decimal", "Number of CPUs", (s, v) => {
    const n = parseCpus(v);
    if (n > 0) s.resources.cpus = n;
    else delete s.resources.cpus;
  }),
  str("cpu-shares", "c", "int", "CPU shares (relative weight)", (s, v) => (s.resources.cpuShares = parseChecked(v, "CPU shares", checkCpuShares))),
  str("cpu-quota", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) quota", (s, v) => (s.resources.cpuQuota = parseChecked(v, "CPU quota", checkCpuQuota))),
  str("cpu-period", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) period", (s, v) => (s.resources.cpuPeriod = parseChecked(v, "CPU period", checkCpuPeriod))),
  str("cpuset-cpus", undefined, "string", "CPUs in which to allow execution (0-3, 0,1)", (s, v) => (s.resources.cpusetCpus = parseCpuset(v))),
  str("cpuset-mems", undefined, "string", "MEMs in which to allow execution (0-3, 0,1)", (s, v) => (s.resources.cpusetMems = parseCpuset(v, "cpuset-mems"))),
  str("pids-limit", undefined, "int", "Tune container pids limit (set -1 for unlimited)", (s, v) => {
    const n = pidsLimitOrUndefined(parseInteger(v, "pids limit"));
    if (n === undefined) delete s.resources.pidsLimit;
    else s.resources.pidsLimit = n;
  }),
  str("blkio-weight", undefined, "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable", (s, v) => (s.resources.blkioWeight = parseChecked(v, "blkio weight", checkBlkioWeight))),
  list("device-read-bps", undefined, "list", "Limit read rate (bytes per second) from a device", (s, v) => (s.resources.deviceReadBps ??= []).push(parseDeviceRate(v))),
  list("device-write-bps", undefined, "list", "Limit write rate (bytes per second) to a device", (s, v) => (s.resources.deviceWriteBps ??= []).push(parseDeviceRate(v))),
  list("device", undefined, "list", "Add a host device to the container (HOST[:CONTAINER][:rwm])", (s, v) => (s.devices ??= []).push(parseDevice(v))),
  {
    ...list("network", undefined, "network", "Connect a container to a network (bridge, host, none, container:<name>, or a network name)", (s, v, ctx) => {
      if (!ctx.networkSeen) {
        ctx.networkSeen = true;
        setNetworkMode(s, v);
        s.network.networks = [];
      } else {
        pushUnique(s.network.networks, parseNetworkName(v));
      }
    }),
    aliases: ["net"],
  },
  list("network-alias", undefined, "list", "Add network-scoped alias for the container", (s, v) => pushUnique(s.network.aliases, v)),
  list("publish", "p", "list", "Publish a container's port(s) to the host", (s, v) => addPorts(s.network.ports, parsePort(v))),
  bool("publish-all", "P", "Publish all exposed ports to random ports", (s, v) => (s.network.publishAll = v)),
  list("expose", undefined, "list", "Expose a port or a range of ports", (s, v) => {
    for (const e of parseExpose(v)) pushUnique((s.network.expose ??= []), e);
  }),
  list("dns", undefined, "list", "Set custom DNS servers", (s, v) => pushUnique(s.network.dns, parseIp(v, "DNS server"))),
  list("dns-search", undefined, "list", "Set custom DNS search domains", (s, v) => pushUnique(s.network.dnsSearch, v)),
  list("add-host", undefined, "list", "Add a custom host-to-IP mapping (host:ip)", (s, v) => pushUnique(s.network.extraHosts, parseExtraHost(v))),
  str("ip", undefined, "string", "IPv4 address (e.g., 172.30.100.104)", (s, v) => (s.network.ip = parseIp(v))),
  str("mac-address", undefined, "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)", (s, v) => (s.network.mac = parseMac(v))),
  list("volume", "v", "list", "Bind mount a volume (src:dst[:ro])", (s, v, ctx) => addFlagMount(s, parseVolume(v), ctx)),
  list("mount", undefined, "mount", "Attach a filesystem mount to the container (type=bind,source=...,target=...)", (s, v, ctx) =>
    addFlagMount(s, parseMountFlag(v), ctx),
  ),
  list("tmpfs", undefined, "list", "Mount a tmpfs directory (/run:size=64m,mode=1777)", (s, v, ctx) => addFlagMount(s, parseTmpfs(v), ctx)),
  list("cap-add", undefined, "list", "Add Linux capabilities", (s, v) => pushUnique(s.security.capAdd, parseCapability(v))),
  list("cap-drop", undefined, "list", "Drop Linux capabilities", (s, v) => pushUnique(s.security.capDrop, parseCapability(v))),
  bool("privileged", undefined, "Give extended privileges to this container", (s, v) => (s.security.privileged = v)),
  list("security-opt", undefined, "list", "Security options (seccomp=unconfined|PATH, no-new-privileges[=false])", applySecurityOpt),
  str("userns", undefined, "string", "User namespace: host, remap, container:<name>, or a user from /etc/subuid", (s, v) => applyUserns(s, v)),
  str("userns-remap", undefined, "string", 'Remap ids with the subordinate ranges of a user ("default" or a name)', (s, v) => applyUserns(s, v)),
  str("pid", undefined, "string", "PID namespace to use (host, container:<name>)", (s, v) => setNamespace(s, "pid", parseNamespace("pid", v))),
  str("ipc", undefined, "string", "IPC mode to use (private, shareable, host, container:<name>)", (s, v) => setNamespace(s, "ipc", parseNamespace("ipc", v))),
  str("uts", undefined, "string", "UTS namespace to use (host)", (s, v) => setNamespace(s, "uts", parseNamespace("uts", v))),
  str("cgroupns", undefined, "string", "Cgroup namespace to use (host, private)", (s, v) => setNamespace(s, "cgroup", parseNamespace("cgroup", v))),
  list("sysctl", undefined, "map", "Sysctl options (name=value)", (s, v) => {
    const [k, val] = parseKeyValue(v, "sysctl", false);
    s.sysctls[k] = val;
  }),
  list("ulimit", undefined, "ulimit", "Ulimit options (name=soft[:hard])", (s, v) => setUlimit(s.ulimits, parseUlimit(v))),
  str("stop-signal", undefined, "string", "Signal to stop the container", (s, v) => (s.stopSignal = parseSignal(v))),
  str("stop-timeout", undefined, "int", "Timeout (in seconds) to stop a container", (s, v) => (s.stopTimeout = parseDuration(v))),
  str("cgroup-parent", undefined, "string", "Optional parent cgroup for the container", (s, v) => {
    if (v === "") throw new SpecError("the cgroup parent must not be empty");
    s.cgroupParent = v;
  }),
  bool("init", undefined, "Run an init inside the container that forwards signals and reaps processes", (s, v) => (s.init = v)),
];

/** `ctr run` arguments, split but not yet applied. */
export interface RunArgv {
  uses: FlagUse<ContainerSpec, RunFlagContext>[];
  /** -f FILE, as given (relative to the caller's directory) */
  file?: string;
  /** first positional: an image reference, or a rootfs directory if it is a path */
  imageOrRootfs?: string;
  /** the rest: the container's command; empty = keep the file's or image's */
  command: string[];
  help: boolean;
}

/** Splits `ctr run` arguments. Throws SpecError on unknown flags and missing values. */
export function parseRunArgv(argv: readonly string[]): RunArgv {
  const p = parseArgv(RUN_FLAGS, argv);
  const out: RunArgv = { uses: p.uses, command: p.positionals.slice(1), help: p.help };
  for (const u of p.uses) if (u.flag.name === "file") out.file = String(u.value);
  if (p.positionals[0] !== undefined) out.imageOrRootfs = p.positionals[0];
  return out;
}

export interface RunOptions {
  env?: HostEnv;
  cwd?: string;
  /** reads --env-file files; defaults to readFileSync */
  readFile?: (path: string) => string;
}

/** Applies parsed flags and positionals over `base` (not modified) and returns the new spec. */
export function applyRunArgv(base: ContainerSpec, args: RunArgv, opts: RunOptions = {}): ContainerSpec {
  const spec = structuredClone(base);
  const ctx: RunFlagContext = {
    env: opts.env ?? {},
    readFile: opts.readFile ?? ((p) => readFileSync(p, "utf8")),
    networkSeen: false,
    flagMountTargets: new Set(),
  };
  if (opts.cwd !== undefined) ctx.cwd = opts.cwd;
  // Docker reads --env-file before -e, whatever their order, so -e wins.
  const uses = [...args.uses.filter((u) => u.flag.name === "env-file"), ...args.uses.filter((u) => u.flag.name !== "env-file")];
  applyFlagUses(spec, uses, ctx);
  if (args.imageOrRootfs !== undefined) {
    const target = args.imageOrRootfs;
    if (target === "") throw new SpecError("the image name is empty");
    if (isPathLike(target)) {
      spec.rootfs = inCwd(ctx, target);
      delete spec.image;
    } else {
      spec.image = target;
      delete spec.rootfs;
    }
  }
  if (args.command.length > 0) spec.command = [...args.command];
  return spec;
}

/**
 * The whole of `ctr run`'s argument handling: load -f FILE (relative to
 * opts.cwd) or start from defaults, apply flags and positionals, validate.
 */
export function buildRunSpec(args: RunArgv, opts: RunOptions = {}): { spec: ContainerSpec; file?: string; warnings: string[] } {
  let base = defaultSpec();
  let file: string | undefined;
  if (args.file !== undefined) {
    file = opts.cwd !== undefined && !isAbsolute(args.file) ? resolve(opts.cwd, args.file) : args.file;
    // Messages name the file as the user wrote it.
    // the TOML reader and its schema cost ~6 ms to load: only when a file is given
    const { loadSpecFile } = require("./toml.ts") as typeof import("./toml.ts");
    base = loadSpecFile(file, { env: opts.env ?? {}, displayName: args.file });
  }
  const spec = applyRunArgv(base, args, opts);
  const warnings = validateSpec(spec);
  return file === undefined ? { spec, warnings } : { spec, file, warnings };
}
