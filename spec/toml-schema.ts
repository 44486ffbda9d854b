// The container file's schema: which keys exist, what type each takes, and
// how each lands in the ContainerSpec. Value syntax (sizes, ports, ...) is
// shared with the command-line flags through the parsers imported below.

import { isAbsolute, resolve } from "node:path";
import { parseCapability } from "./capabilities.ts";
import { addEnvEntry, type HostEnv } from "./env.ts";
import { checkBindOptions, checkTmpfsOptions, isPathLike } from "./mounts.ts";
import { applyUserns, parseNamespace, setNamespace, setNetworkMode } from "./namespaces.ts";
import {
  addPorts, parseContainerName, parseExpose, parseExtraHost, parseIp, parseMac, parseNetworkName, parsePort, parseProtocol,
} from "./network.ts";
import { parseGroup, parseHostname, parseUser, parseWorkdir } from "./process.ts";
import {
  checkBlkioWeight, checkCpuPeriod, checkCpuQuota, checkCpuShares, makeDeviceRate, parseCpuset, parseDeviceRate,
  parseMemorySwap, pidsLimitOrUndefined,
} from "./resources.ts";
import { parseRestart } from "./restart.ts";
import { parseSignal } from "./signals.ts";
import type { TomlPath } from "./toml-lines.ts";
import { type Table, TomlReader } from "./toml-reader.ts";
import { defaultSpec, type ContainerSpec, type MountSpec, type NamespaceKind, type PortSpec, type RlimitSpec } from "./types.ts";
import { checkRlimitName, makeRlimit, parseRlimitValue, parseUlimitValue } from "./ulimits.ts";
import { parseCpus, parseDuration, parseSize } from "./units.ts";
import { splitShellWords } from "./words.ts";

export const TOP_KEYS = [
  "name", "image", "pull", "rootfs", "command", "entrypoint", "env", "workdir", "user", "group_add", "hostname",
  "domainname", "read_only", "tty", "interactive", "restart", "labels", "sysctls", "stop_signal",
  "stop_timeout", "cgroup_parent", "init", "ulimits", "resources", "network", "mounts", "security", "namespaces",
] as const;
export const RESOURCE_KEYS = [
  "memory", "memory_swap", "memory_reservation", "kernel_memory", "cpus", "cpu_shares", "cpu_quota",
  "cpu_period", "cpuset", "cpuset_cpus", "cpuset_mems", "pids", "pids_limit", "blkio_weight",
  "device_read_bps", "device_write_bps",
] as const;
export const NETWORK_KEYS = ["mode", "ports", "publish_all", "expose", "networks", "dns", "dns_search", "aliases", "extra_hosts", "ip", "mac"] as const;
export const MOUNT_KEYS = ["type", "source", "target", "readonly", "options", "size", "mode"] as const;
export const SECURITY_KEYS = ["cap_add", "cap_drop", "privileged", "seccomp", "no_new_privs"] as const;
export const NAMESPACE_KEYS = ["pid", "ipc", "uts", "net", "cgroup", "mount", "user"] as const;
const PORT_KEYS = ["host", "container", "protocol", "host_ip"] as const;
const ULIMIT_KEYS = ["soft", "hard"] as const;
const DEVICE_RATE_KEYS = ["path", "rate"] as const;

export interface DecodeOptions {
  /** relative rootfs, bind sources and seccomp profiles resolve against this */
  baseDir?: string;
  /** where bare names in an env list ("HOME") take their value from */
  env?: HostEnv;
}

/** Turns a parsed TOML document into a ContainerSpec (cross-field rules are validateSpec's). */
export function decodeSpec(doc: Table, r: TomlReader, opts: DecodeOptions = {}): ContainerSpec {
  const spec = defaultSpec();
  r.checkKeys(doc, [], TOP_KEYS);
  const at = (k: string): TomlPath => [k];
  const path = (p: string) => (opts.baseDir !== undefined && !isAbsolute(p) ? resolve(opts.baseDir, p) : p);
  const nonEmpty = (v: unknown, p: TomlPath): string => {
    const s = r.string(v, p);
    if (s.trim() === "") r.fail(p, "must not be empty");
    return s;
  };

  for (const [k, v] of Object.entries(doc)) {
    const p = at(k);
    switch (k as (typeof TOP_KEYS)[number]) {
      case "name":
        spec.name = r.at(p, () => parseContainerName(r.string(v, p)));
        break;
      case "image":
        spec.image = nonEmpty(v, p);
        break;
      case "pull": {
        const policy = nonEmpty(v, p);
        if (policy !== "always" && policy !== "missing" && policy !== "never") r.fail(p, `must be "always", "missing" or "never", not "${policy}"`);
        spec.pull = policy;
        break;
      }
      case "rootfs":
        spec.rootfs = path(nonEmpty(v, p));
        break;
      case "command":
        spec.command = argv(r, v, p);
        break;
      case "entrypoint":
        spec.entrypoint = argv(r, v, p);
        break;
      case "env":
        decodeEnv(r, v, p, spec.env, opts.env ?? {});
        break;
      case "workdir":
        spec.workdir = r.at(p, () => parseWorkdir(r.string(v, p)));
        break;
      case "user":
        spec.user = r.at(p, () => parseUser(r.stringOrInt(v, p)));
        break;
      case "group_add":
        spec.groupAdd = r.array(v, p).map((g, i) => r.at([k, i], () => parseGroup(r.stringOrInt(g, [k, i]))));
        break;
      case "hostname":
        spec.hostname = r.at(p, () => parseHostname(r.string(v, p)));
        break;
      case "domainname":
        spec.domainname = r.at(p, () => parseHostname(r.string(v, p), "domain name"));
        break;
      case "read_only":
        spec.readOnly = r.bool(v, p);
        break;
      case "tty":
        spec.tty = r.bool(v, p);
        break;
      case "interactive":
        spec.interactive = r.bool(v, p);
        break;
      case "init":
        spec.init = r.bool(v, p);
        break;
      case "restart":
        spec.restart = r.at(p, () => parseRestart(r.string(v, p)));
        break;
      case "labels":
        spec.labels = r.flatTextTable(v, p);
        break;
      case "sysctls":
        spec.sysctls = r.flatTextTable(v, p);
        break;
      case "stop_signal":
        spec.stopSignal = r.at(p, () => parseSignal(r.stringOrInt(v, p)));
        break;
      case "stop_timeout":
        spec.stopTimeout = duration(r, v, p);
        break;
      case "cgroup_parent":
        spec.cgroupParent = nonEmpty(v, p);
        break;
      case "ulimits":
        spec.ulimits = decodeUlimits(r, v, p);
        break;
      case "resources":
        decodeResources(r, r.table(v, p), spec);
        break;
      case "network":
        decodeNetwork(r, r.table(v, p), spec);
        break;
      case "mounts":
        spec.mounts = decodeMounts(r, v, path);
        break;
      case "security":
        decodeSecurity(r, r.table(v, p), spec, path);
        break;
      case "namespaces":
        // After the loop: it must see [network] mode, wherever that is written.
        break;
    }
  }
  if (doc.namespaces !== undefined) decodeNamespaces(r, r.table(doc.namespaces, at("namespaces")), spec, doc);
  return spec;
}

/** command / entrypoint: an array of strings, or one string split into words. */
function argv(r: TomlReader, v: unknown, p: TomlPath): string[] {
  if (typeof v === "string") return r.at(p, () => splitShellWords(v));
  if (Array.isArray(v)) return r.stringList(v, p);
  r.typeError(v, p, "an array of strings or a string");
}

function duration(r: TomlReader, v: unknown, p: TomlPath): number {
  if (typeof v === "number" && v < 0) r.fail(p, `${v} is negative; use 0 or more seconds`);
  if (typeof v === "number") return v;
  if (typeof v === "string") return r.at(p, () => parseDuration(v));
  r.typeError(v, p, 'a duration (seconds, or a string like "1m30s")');
}

/** A size: "64m", or a whole number of bytes. */
function size(r: TomlReader, v: unknown, p: TomlPath): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v < 0) r.fail(p, `${v} is negative; a size is 0 or more bytes`);
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string") return r.at(p, () => parseSize(v));
  r.typeError(v, p, 'a size (a string like "64m" or a whole number of bytes)');
}

/** env = { A = "1" } or env = ["A=1", "HOME"] (a bare name is taken from the caller's environment). */
function decodeEnv(r: TomlReader, v: unknown, p: TomlPath, out: Record<string, string>, env: HostEnv): void {
  if (Array.isArray(v)) {
    v.forEach((e, i) => r.at([...p, i], () => addEnvEntry(out, r.string(e, [...p, i]), env)));
    return;
  }
  if (typeof v !== "object" || v === null || v instanceof Date) r.typeError(v, p, 'a table (A = "1") or an array of "A=1" strings');
  for (const [name, value] of Object.entries(r.table(v, p))) {
    const text = r.scalarText(value, [...p, name]);
    r.at([...p, name], () => addEnvEntry(out, `${name}=${text}`, {}));
  }
}

/** ulimits: nofile = "1024:2048" | 1024 | { soft = 1024, hard = 2048 } */
function decodeUlimits(r: TomlReader, v: unknown, p: TomlPath): RlimitSpec[] {
  const out: RlimitSpec[] = [];
  for (const [name, value] of Object.entries(r.table(v, p))) {
    const q = [...p, name];
    r.at(q, () => checkRlimitName(name));
    const limit = (x: unknown, qq: TomlPath): number => {
      if (typeof x === "number" && Number.isSafeInteger(x)) return r.at(qq, () => parseRlimitValue(String(x), name));
      if (typeof x === "string") return r.at(qq, () => parseRlimitValue(x, name));
      r.typeError(x, qq, 'an integer or "unlimited"');
    };
    if (typeof value === "string") {
      out.push(r.at(q, () => parseUlimitValue(name, value)));
    } else if (typeof value === "number") {
      const n = limit(value, q);
      out.push(r.at(q, () => makeRlimit(name, n, n)));
    } else if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
      const t = r.table(value, q);
      r.checkKeys(t, q, ULIMIT_KEYS);
      if (t.soft === undefined) r.fail(q, "soft is required");
      const soft = limit(t.soft, [...q, "soft"]);
      const hard = t.hard === undefined ? soft : limit(t.hard, [...q, "hard"]);
      out.push(r.at(q, () => makeRlimit(name, soft, hard)));
    } else {
      r.typeError(value, q, 'a string "soft:hard", an integer, or a table { soft, hard }');
    }
  }
  return out;
}

function decodeResources(r: TomlReader, t: Table, spec: ContainerSpec): void {
  r.checkKeys(t, ["resources"], RESOURCE_KEYS);
  const res = spec.resources;
  const both = (a: string, b: string) => {
    if (t[a] !== undefined && t[b] !== undefined) r.fail(["resources", b], `${a} and ${b} are the same setting; keep one`);
  };
  both("cpuset", "cpuset_cpus");
  both("pids", "pids_limit");
  for (const [k, v] of Object.entries(t)) {
    const p: TomlPath = ["resources", k];
    const int = () => r.int(v, p);
    switch (k as (typeof RESOURCE_KEYS)[number]) {
      case "memory":
        res.memory = size(r, v, p);
        break;
      case "memory_swap":
        res.memorySwap = v === -1 ? -1 : typeof v === "string" ? r.at(p, () => parseMemorySwap(v)) : size(r, v, p);
        break;
      case "memory_reservation":
        res.memoryReservation = size(r, v, p);
        break;
      case "kernel_memory":
        res.kernelMemory = size(r, v, p);
        break;
      case "cpus": {
        let n: number;
        if (typeof v === "number" && v >= 0) n = v;
        else if (typeof v === "string") n = r.at(p, () => parseCpus(v));
        else r.typeError(v, p, "a number of CPUs (e.g. 1.5)");
        if (n > 0) res.cpus = n;
        break;
      }
      case "cpu_shares":
        res.cpuShares = r.at(p, () => checkCpuShares(int()));
        break;
      case "cpu_quota":
        res.cpuQuota = r.at(p, () => checkCpuQuota(int()));
        break;
      case "cpu_period":
        res.cpuPeriod = r.at(p, () => checkCpuPeriod(int()));
        break;
      case "cpuset":
      case "cpuset_cpus":
        res.cpusetCpus = r.at(p, () => parseCpuset(r.stringOrInt(v, p)));
        break;
      case "cpuset_mems":
        res.cpusetMems = r.at(p, () => parseCpuset(r.stringOrInt(v, p), "cpuset_mems"));
        break;
      case "pids":
      case "pids_limit": {
        const n = pidsLimitOrUndefined(int());
        if (n === undefined) delete res.pidsLimit;
        else res.pidsLimit = n;
        break;
      }
      case "blkio_weight":
        res.blkioWeight = r.at(p, () => checkBlkioWeight(int()));
        break;
      case "device_read_bps":
      case "device_write_bps": {
        const list = r.array(v, p).map((e, i) => deviceRate(r, e, [...p, i]));
        if (k === "device_read_bps") res.deviceReadBps = list;
        else res.deviceWriteBps = list;
        break;
      }
    }
  }
}

/** "path:rate" or { path = "/dev/sda", rate = "10m" } */
function deviceRate(r: TomlReader, v: unknown, p: TomlPath): { path: string; rate: number } {
  if (typeof v === "string") return r.at(p, () => parseDeviceRate(v));
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Date) {
    r.typeError(v, p, 'a string "/dev/sda:10m" or a table { path, rate }');
  }
  const t = r.table(v, p);
  r.checkKeys(t, p, DEVICE_RATE_KEYS);
  const devPath = r.string(t.path, [...p, "path"]);
  const rate = size(r, t.rate, [...p, "rate"]);
  return r.at(p, () => makeDeviceRate(devPath, rate));
}

function decodeNetwork(r: TomlReader, t: Table, spec: ContainerSpec): void {
  r.checkKeys(t, ["network"], NETWORK_KEYS);
  const net = spec.network;
  for (const [k, v] of Object.entries(t)) {
    const p: TomlPath = ["network", k];
    const each = <T>(fn: (s: string) => T): T[] => r.stringList(v, p).map((s, i) => r.at([...p, i], () => fn(s)));
    switch (k as (typeof NETWORK_KEYS)[number]) {
      case "mode":
        r.at(p, () => setNetworkMode(spec, r.string(v, p)));
        break;
      case "ports":
        r.array(v, p).forEach((e, i) => addPorts(net.ports, port(r, e, [...p, i])));
        break;
      case "publish_all":
        net.publishAll = r.bool(v, p);
        break;
      case "expose":
        net.expose = [...new Set(each(parseExpose).flat())];
        break;
      case "networks":
        net.networks = each(parseNetworkName);
        break;
      case "dns":
        net.dns = each((s) => parseIp(s, "DNS server"));
        break;
      case "dns_search":
        net.dnsSearch = each((s) => s);
        break;
      case "aliases":
        net.aliases = each((s) => s);
        break;
      case "extra_hosts":
        net.extraHosts = each(parseExtraHost);
        break;
      case "ip":
        net.ip = r.at(p, () => parseIp(r.string(v, p)));
        break;
      case "mac":
        net.mac = r.at(p, () => parseMac(r.string(v, p)));
        break;
    }
  }
}

/** "8080:80/udp" or { host = 8080, container = 80, protocol = "udp", host_ip = "127.0.0.1" } */
function port(r: TomlReader, v: unknown, p: TomlPath): PortSpec[] {
  if (typeof v === "string") return r.at(p, () => parsePort(v));
  if (typeof v === "number") {
    r.fail(p, `expected a string like "8080:80" or a table { host, container }, got an integer; write "${v}" to publish it on any free host port`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v) || v instanceof Date) {
    r.typeError(v, p, 'a string like "8080:80" or a table { host, container }');
  }
  const t = r.table(v, p);
  r.checkKeys(t, p, PORT_KEYS);
  const portNumber = (x: unknown, q: TomlPath, min: number): number => {
    const n = r.int(x, q);
    if (n < min || n > 65535) r.fail(q, `${n} is not a port number (${min}-65535)`);
    return n;
  };
  if (t.container === undefined) r.fail(p, "container (the port inside the container) is required");
  const out: PortSpec = {
    containerPort: portNumber(t.container, [...p, "container"], 1),
    // 0 = any free port, as Docker does for "-p 80".
    hostPort: t.host === undefined ? 0 : portNumber(t.host, [...p, "host"], 0),
    protocol: t.protocol === undefined ? "tcp" : r.at([...p, "protocol"], () => parseProtocol(r.string(t.protocol, [...p, "protocol"]))),
  };
  if (t.host_ip !== undefined) out.hostIp = r.at([...p, "host_ip"], () => parseIp(r.string(t.host_ip, [...p, "host_ip"]), "host IP"));
  return [out];
}

/**
 * [[mounts]]. Without `type`, a source that looks like a path ("/x", "./x")
 * is a bind mount, any other source a named volume, and no source an
 * anonymous volume: the same rule as -v.
 */
function decodeMounts(r: TomlReader, v: unknown, resolvePath: (p: string) => string): MountSpec[] {
  const out: MountSpec[] = [];
  r.array(v, ["mounts"]).forEach((e, i) => {
    const p: TomlPath = ["mounts", i];
    const t = r.table(e, p);
    r.checkKeys(t, p, MOUNT_KEYS);
    const str = (k: string) => (t[k] === undefined ? undefined : r.string(t[k], [...p, k]));
    const source = str("source");
    let type: MountSpec["type"];
    const rawType = str("type");
    if (rawType === undefined) type = source === undefined ? "volume" : isPathLike(source) ? "bind" : "volume";
    else if (rawType === "bind" || rawType === "volume" || rawType === "tmpfs") type = rawType;
    else r.fail([...p, "type"], `expected "bind", "volume" or "tmpfs", got ${JSON.stringify(rawType)}`);
    const target = str("target");
    if (target === undefined) r.fail(p, "target (the path inside the container) is required");
    if (!target.startsWith("/")) r.fail([...p, "target"], `${JSON.stringify(target)} must be an absolute path`);
    if (target.replace(/\/+$/, "") === "") r.fail([...p, "target"], `the target can't be "/"`);
    const readonly = t.readonly === undefined ? false : r.bool(t.readonly, [...p, "readonly"]);
    const options = t.options === undefined ? [] : r.stringList(t.options, [...p, "options"]);
    const m: MountSpec = { type, target, readonly, options: [] };
    if (type === "tmpfs") {
      if (source !== undefined) r.fail([...p, "source"], "a tmpfs mount takes no source");
      const extra: string[] = [];
      if (t.size !== undefined) extra.push(`size=${size(r, t.size, [...p, "size"])}`);
      if (t.mode !== undefined) {
        // A bare integer would be read as decimal (0o1777 is 1023), so the
        // octal digits must be written as a string.
        if (typeof t.mode !== "string") r.fail([...p, "mode"], `write the mode as a string of octal digits, e.g. "1777"`);
        extra.push(`mode=${t.mode}`);
      }
      const checked = r.at([...p, t.size !== undefined || t.mode !== undefined ? "size" : "options"], () =>
        checkTmpfsOptions([...options, ...extra], target),
      );
      m.options = checked.options;
      m.readonly = readonly || checked.readonly;
    } else {
      for (const k of ["size", "mode"]) {
        if (t[k] !== undefined) r.fail([...p, k], `${k} only applies to type = "tmpfs"`);
      }
      if (type === "bind" && source === undefined) r.fail(p, "a bind mount needs a source (the host path)");
      const rw = options.filter((o) => o === "ro" || o === "rw");
      if (rw.includes("ro")) m.readonly = true;
      m.readonly ||= readonly;
      m.options = r.at([...p, "options"], () => checkBindOptions(type, options.filter((o) => o !== "ro" && o !== "rw"), target));
      if (source !== undefined) {
        if (type === "bind") m.source = resolvePath(source);
        else if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
          r.fail([...p, "source"], `${JSON.stringify(source)} is not a valid volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]); for a host directory use type = "bind"`);
        } else m.source = source;
      }
    }
    if (out.some((x) => x.target.replace(/\/+$/, "") === target.replace(/\/+$/, ""))) {
      r.fail([...p, "target"], `duplicate mount point ${target}`);
    }
    out.push(m);
  });
  return out;
}

function decodeSecurity(r: TomlReader, t: Table, spec: ContainerSpec, resolvePath: (p: string) => string): void {
  r.checkKeys(t, ["security"], SECURITY_KEYS);
  const sec = spec.security;
  for (const [k, v] of Object.entries(t)) {
    const p: TomlPath = ["security", k];
    switch (k as (typeof SECURITY_KEYS)[number]) {
      case "cap_add":
      case "cap_drop": {
        const caps = r.stringList(v, p).map((c, i) => r.at([...p, i], () => parseCapability(c)));
        if (k === "cap_add") sec.capAdd = caps;
        else sec.capDrop = caps;
        break;
      }
      case "privileged":
        sec.privileged = r.bool(v, p);
        break;
      case "seccomp": {
        const s = r.string(v, p);
        if (s === "") r.fail(p, 'expected "default", "unconfined" or a path to a profile');
        sec.seccomp = s === "default" || s === "unconfined" ? s : resolvePath(s);
        break;
      }
      case "no_new_privs":
        sec.noNewPrivileges = r.bool(v, p);
        break;
    }
  }
}

/** [namespaces]: see applyUserns (namespaces.ts) for what `user` accepts. */
function decodeNamespaces(r: TomlReader, t: Table, spec: ContainerSpec, doc: Table): void {
  r.checkKeys(t, ["namespaces"], NAMESPACE_KEYS);
  for (const [k, v] of Object.entries(t)) {
    const p: TomlPath = ["namespaces", k];
    const s = r.string(v, p);
    if (k === "user") {
      r.at(p, () => applyUserns(spec, s));
      continue;
    }
    const kind = k as Exclude<NamespaceKind, "user">;
    const before = spec.network.mode;
    r.at(p, () => setNamespace(spec, kind, parseNamespace(kind, s)));
    // [network] mode and [namespaces] net both describe the network namespace.
    const net = doc.network;
    const modeGiven = typeof net === "object" && net !== null && "mode" in net;
    if (kind === "net" && modeGiven && spec.network.mode !== before) {
      r.fail(p, `conflicts with [network] mode = ${JSON.stringify(before)}; set the network namespace in one place`);
    }
  }
}
