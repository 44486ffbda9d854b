// Docker Engine API's container create body (POST /containers/create) ->
// ContainerSpec, with the same parsers the run flags use. Strict, as the rest
// of spec/: a field Docker does not have is an error, and so is a field ctr
// cannot honour when it is set (an empty or zero value, which the docker CLI
// sends for every flag not given, is accepted).

import { parseCapability } from "./capabilities.ts";
import { SpecError, suggestion } from "./errors.ts";
import { parseMountFlag, parseTmpfs, parseVolume, setMount } from "./mounts.ts";
import { applyUserns, parseNamespace, setNamespace, setNetworkMode } from "./namespaces.ts";
import { addPorts, parseContainerName, parseExtraHost, parseIp, parseMac, parseNetworkName, parsePort } from "./network.ts";
import { parseGroup, parseHostname, parseUser, parseWorkdir } from "./process.ts";
import { checkBlkioWeight, checkCpuPeriod, checkCpuQuota, checkCpuShares, makeDeviceRate, pidsLimitOrUndefined } from "./resources.ts";
import { parseSignal } from "./signals.ts";
import { type ContainerSpec, defaultSpec, type RestartPolicy } from "./types.ts";
import { makeRlimit, setUlimit } from "./ulimits.ts";
import { validateSpec } from "./validate.ts";

type Json = unknown;
type Obj = Record<string, Json>;
type Apply = (s: ContainerSpec, v: Json, key: string) => void;

/** null, "", 0, false, [] and {} (recursively): what the CLI sends for a flag not given. */
export function isEmpty(v: Json): boolean {
  if (v === null || v === undefined || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.values(v as Obj).every(isEmpty);
  return false;
}

const fail = (key: string, why: string): never => {
  throw new SpecError(`${key}: ${why}`);
};
const str = (v: Json, key: string): string => (typeof v === "string" ? v : fail(key, "expected a string"));
const num = (v: Json, key: string): number => (typeof v === "number" && Number.isFinite(v) ? v : fail(key, "expected a number"));
const bool = (v: Json, key: string): boolean => (typeof v === "boolean" ? v : fail(key, "expected true or false"));
const strs = (v: Json, key: string): string[] => {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) return fail(key, "expected a list of strings");
  return v as string[];
};
const obj = (v: Json, key: string): Obj => {
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v)) return fail(key, "expected an object");
  return v as Obj;
};
const strMap = (v: Json, key: string): Record<string, string> => {
  const o = obj(v, key);
  for (const [k, x] of Object.entries(o)) if (typeof x !== "string") fail(`${key}.${k}`, "expected a string");
  return o as Record<string, string>;
};

/** Accepted only empty: Docker features ctr does not have. */
const unsupported: Apply = (_s, v, key) => {
  if (!isEmpty(v)) fail(key, "not supported by ctr");
};
/** Client-side or informational: nothing for the engine to do. */
const ignore: Apply = () => {};

const resource = (name: keyof ContainerSpec["resources"], check?: (n: number) => number): Apply => (s, v, key) => {
  if (isEmpty(v)) return;
  const n = num(v, key);
  (s.resources as Record<string, unknown>)[name] = check ? check(n) : n;
};

const nsMode = (kind: "pid" | "ipc" | "uts" | "cgroup"): Apply => (s, v, key) => {
  const m = str(v ?? "", key);
  if (m === "" || m === "private" || m === "shareable") return;
  setNamespace(s, kind, parseNamespace(kind, m));
};

function restartPolicy(v: Json, key: string): RestartPolicy {
  const o = obj(v, key);
  const name = (o.Name ?? "") as string;
  const max = (o.MaximumRetryCount ?? 0) as number;
  if (name === "" || name === "no") return { name: "no", maxRetries: 0 };
  if (name !== "always" && name !== "unless-stopped" && name !== "on-failure") fail(`${key}.Name`, `invalid restart policy ${JSON.stringify(name)}`);
  if (max && name !== "on-failure") fail(key, `maximum retry count cannot be used with restart policy '${name}'`);
  return { name: name as RestartPolicy["name"], maxRetries: num(max, `${key}.MaximumRetryCount`) };
}

const HOST_CONFIG: Record<string, Apply> = {
  Binds: (s, v, key) => {
    for (const b of strs(v, key)) setMount(s.mounts, parseVolume(b));
  },
  Mounts: (s, v, key) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) fail(key, "expected a list");
    for (const m of v as Obj[]) {
      const parts = [`type=${str(m.Type ?? "", `${key}.Type`)}`, `target=${str(m.Target ?? "", `${key}.Target`)}`];
      if (m.Source) parts.push(`source=${str(m.Source, `${key}.Source`)}`);
      if (m.ReadOnly) parts.push("readonly");
      setMount(s.mounts, parseMountFlag(parts.join(",")));
    }
  },
  Tmpfs: (s, v, key) => {
    for (const [path, opts] of Object.entries(strMap(v, key))) setMount(s.mounts, parseTmpfs(opts ? `${path}:${opts}` : path));
  },
  NetworkMode: (s, v, key) => {
    const m = str(v ?? "", key);
    if (m !== "" && m !== "default") setNetworkMode(s, m);
  },
  PortBindings: (s, v, key) => {
    for (const [port, binds] of Object.entries(obj(v, key))) {
      const list = (binds ?? [{}]) as Obj[];
      for (const b of list.length ? list : [{}]) {
        const hostIp = (b.HostIp ?? "") as string;
        const hostPort = (b.HostPort ?? "") as string;
        const [p, proto = "tcp"] = port.split("/");
        const host = hostPort ? `${hostIp ? `${hostIp.includes(":") ? `[${hostIp}]` : hostIp}:` : ""}${hostPort}:` : "";
        addPorts(s.network.ports, parsePort(`${host}${p}/${proto}`));
      }
    }
  },
  PublishAllPorts: unsupported,
  AutoRemove: (s, v, key) => (s.autoRemove = isEmpty(v) ? false : bool(v, key)),
  RestartPolicy: (s, v, key) => (s.restart = restartPolicy(v, key)),
  Memory: resource("memory"),
  MemorySwap: resource("memorySwap"),
  MemoryReservation: resource("memoryReservation"),
  KernelMemory: resource("kernelMemory"),
  NanoCpus: (s, v, key) => {
    if (!isEmpty(v)) s.resources.cpus = num(v, key) / 1e9;
  },
  CpuShares: resource("cpuShares", checkCpuShares),
  CpuQuota: resource("cpuQuota", checkCpuQuota),
  CpuPeriod: resource("cpuPeriod", checkCpuPeriod),
  CpusetCpus: (s, v, key) => {
    if (!isEmpty(v)) s.resources.cpusetCpus = str(v, key);
  },
  CpusetMems: (s, v, key) => {
    if (!isEmpty(v)) s.resources.cpusetMems = str(v, key);
  },
  PidsLimit: (s, v, key) => {
    if (isEmpty(v)) return;
    const n = pidsLimitOrUndefined(num(v, key));
    if (n !== undefined) s.resources.pidsLimit = n;
  },
  BlkioWeight: resource("blkioWeight", checkBlkioWeight),
  BlkioDeviceReadBps: (s, v, key) => {
    for (const d of (v ?? []) as Obj[]) (s.resources.deviceReadBps ??= []).push(makeDeviceRate(str(d.Path, `${key}.Path`), num(d.Rate, `${key}.Rate`)));
  },
  BlkioDeviceWriteBps: (s, v, key) => {
    for (const d of (v ?? []) as Obj[]) (s.resources.deviceWriteBps ??= []).push(makeDeviceRate(str(d.Path, `${key}.Path`), num(d.Rate, `${key}.Rate`)));
  },
  DeviceCgroupRules: (s, v, key) => {
    const r = strs(v, key);
    if (r.length) s.resources.deviceCgroupRules = r;
  },
  MemorySwappiness: (_s, v, key) => {
    if (v !== null && v !== undefined && v !== -1) fail(key, "not supported by ctr");
  },
  CapAdd: (s, v, key) => {
    for (const c of strs(v, key)) s.security.capAdd.push(parseCapability(c));
  },
  CapDrop: (s, v, key) => {
    for (const c of strs(v, key)) s.security.capDrop.push(parseCapability(c));
  },
  Privileged: (s, v, key) => (s.security.privileged = isEmpty(v) ? false : bool(v, key)),
  ReadonlyRootfs: (s, v, key) => (s.readOnly = isEmpty(v) ? false : bool(v, key)),
  SecurityOpt: (s, v, key) => {
    for (const o of strs(v, key)) {
      const m = /^([a-z-]+)(?:[=:](.*))?$/.exec(o);
      const [k, val] = [m?.[1] ?? o, m?.[2]];
      if (k === "seccomp" && val) s.security.seccomp = val;
      else if (k === "no-new-privileges") s.security.noNewPrivileges = val === undefined || val === "" || val === "true";
      else if ((k === "apparmor" && val === "unconfined") || (k === "label" && val === "disable")) continue;
      else fail(key, `security option ${JSON.stringify(o)} not supported by ctr`);
    }
  },
  Dns: (s, v, key) => {
    for (const d of strs(v, key)) s.network.dns.push(parseIp(d, "DNS server"));
  },
  DnsSearch: (s, v, key) => s.network.dnsSearch.push(...strs(v, key)),
  DnsOptions: unsupported,
  ExtraHosts: (s, v, key) => {
    for (const h of strs(v, key)) s.network.extraHosts.push(parseExtraHost(h));
  },
  GroupAdd: (s, v, key) => {
    for (const g of strs(v, key)) s.groupAdd.push(parseGroup(g));
  },
  PidMode: nsMode("pid"),
  IpcMode: nsMode("ipc"),
  UTSMode: nsMode("uts"),
  CgroupnsMode: nsMode("cgroup"),
  UsernsMode: (s, v, key) => {
    const m = str(v ?? "", key);
    if (m !== "") applyUserns(s, m);
  },
  Sysctls: (s, v, key) => Object.assign(s.sysctls, strMap(v, key)),
  Ulimits: (s, v, key) => {
    for (const u of (v ?? []) as Obj[]) setUlimit(s.ulimits, makeRlimit(str(u.Name, `${key}.Name`), num(u.Soft, `${key}.Soft`), num(u.Hard, `${key}.Hard`)));
  },
  CgroupParent: (s, v, key) => {
    if (!isEmpty(v)) s.cgroupParent = str(v, key);
  },
  Init: (s, v, key) => (s.init = isEmpty(v) ? false : bool(v, key)),
  LogConfig: (_s, v, key) => {
    const t = obj(v, key).Type;
    if (t !== undefined && t !== "" && t !== "json-file") fail(`${key}.Type`, `log driver ${JSON.stringify(t)} not supported by ctr (json-file only)`);
  },
  ConsoleSize: ignore, // the size comes with the attach (resize)
  ContainerIDFile: ignore, // the CLI writes it
  Runtime: ignore,
  Isolation: unsupported,
  ShmSize: unsupported,
  OomScoreAdj: unsupported,
  OomKillDisable: unsupported,
  Links: unsupported,
  VolumesFrom: unsupported,
  VolumeDriver: unsupported,
  Devices: unsupported,
  DeviceRequests: unsupported,
  BlkioWeightDevice: unsupported,
  BlkioDeviceReadIOps: unsupported,
  BlkioDeviceWriteIOps: unsupported,
  CpuRealtimePeriod: unsupported,
  CpuRealtimeRuntime: unsupported,
  CpuCount: unsupported,
  CpuPercent: unsupported,
  IOMaximumIOps: unsupported,
  IOMaximumBandwidth: unsupported,
  MaskedPaths: unsupported,
  ReadonlyPaths: unsupported,
  Annotations: unsupported,
  StorageOpt: unsupported,
  Cgroup: unsupported,
};

const CONFIG: Record<string, Apply> = {
  Image: (s, v, key) => {
    const img = str(v, key);
    if (img === "") fail(key, "an image is required");
    s.image = img;
  },
  Cmd: (s, v, key) => {
    if (v === null || v === undefined) return;
    s.command = typeof v === "string" ? [v] : strs(v, key);
  },
  Entrypoint: (s, v, key) => {
    if (v === null || v === undefined) return;
    const e = typeof v === "string" ? [v] : strs(v, key);
    s.entrypoint = e.length === 1 && e[0] === "" ? [] : e;
  },
  Env: (s, v, key) => {
    for (const e of strs(v, key)) {
      const eq = e.indexOf("=");
      if (eq === 0) fail(key, `invalid environment variable ${JSON.stringify(e)}`);
      if (eq > 0) s.env[e.slice(0, eq)] = e.slice(eq + 1);
    }
  },
  WorkingDir: (s, v, key) => {
    if (!isEmpty(v)) s.workdir = parseWorkdir(str(v, key));
  },
  User: (s, v, key) => {
    if (!isEmpty(v)) s.user = parseUser(str(v, key));
  },
  Hostname: (s, v, key) => {
    if (!isEmpty(v)) s.hostname = parseHostname(str(v, key));
  },
  Domainname: (s, v, key) => {
    if (!isEmpty(v)) s.domainname = parseHostname(str(v, key), "domain name");
  },
  Tty: (s, v, key) => (s.tty = isEmpty(v) ? false : bool(v, key)),
  OpenStdin: (s, v, key) => (s.interactive = isEmpty(v) ? false : bool(v, key)),
  AttachStdin: ignore, // what the client will attach to: decided at attach
  AttachStdout: ignore,
  AttachStderr: ignore,
  StdinOnce: ignore,
  Labels: (s, v, key) => Object.assign(s.labels, strMap(v, key)),
  StopSignal: (s, v, key) => {
    if (!isEmpty(v)) s.stopSignal = parseSignal(str(v, key));
  },
  StopTimeout: (s, v, key) => {
    if (v !== null && v !== undefined) s.stopTimeout = num(v, key);
  },
  ExposedPorts: ignore, // documentation: only PortBindings publish
  NetworkDisabled: (s, v, key) => {
    if (!isEmpty(v) && bool(v, key)) setNetworkMode(s, "none");
  },
  MacAddress: (s, v, key) => {
    if (!isEmpty(v)) s.network.mac = parseMac(str(v, key));
  },
  ArgsEscaped: ignore, // Windows only
  Volumes: unsupported,
  Healthcheck: unsupported,
  OnBuild: unsupported,
  Shell: ignore, // a build setting
};

function applyFields(spec: ContainerSpec, body: Obj, table: Record<string, Apply>, prefix: string, skip: string[]): void {
  for (const [k, v] of Object.entries(body)) {
    if (skip.includes(k)) continue;
    const apply = table[k];
    if (!apply) throw new SpecError(`unknown field ${JSON.stringify(prefix + k)}${suggestion(k, Object.keys(table))}`);
    apply(spec, v, prefix + k);
  }
}

function networking(spec: ContainerSpec, v: Json): void {
  const eps = obj(obj(v, "NetworkingConfig").EndpointsConfig, "NetworkingConfig.EndpointsConfig");
  for (const [key, epv] of Object.entries(eps)) {
    const ep = obj(epv, `NetworkingConfig.EndpointsConfig.${key}`);
    // the CLI names the default network "default" when --network is not given
    const net = key === "default" ? "bridge" : key;
    const first = net === spec.network.mode;
    if (!first) spec.network.networks.push(parseNetworkName(net));
    for (const a of strs(ep.Aliases, "Aliases")) if (!spec.network.aliases.includes(a)) spec.network.aliases.push(a);
    const ip = obj(ep.IPAMConfig, "IPAMConfig").IPv4Address;
    if (typeof ip === "string" && ip && first) spec.network.ip = parseIp(ip);
  }
}

export interface ApiCreate {
  spec: ContainerSpec;
  warnings: string[];
  /** the TTY size the CLI asked for (rows, cols), if any */
  consoleSize?: { rows: number; cols: number };
}

/** The body of POST /containers/create and its ?name=, as a validated spec. */
export function specFromCreateBody(body: unknown, name: string | null): ApiCreate {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new SpecError("the request body must be a JSON object");
  const b = body as Obj;
  const spec = defaultSpec();
  // the CLI detaches itself; the engine always runs containers in the background
  spec.detach = true;
  applyFields(spec, b, CONFIG, "", ["HostConfig", "NetworkingConfig"]);
  if (spec.image === undefined) throw new SpecError("Config.Image: an image is required");
  const hc = obj(b.HostConfig, "HostConfig");
  applyFields(spec, hc, HOST_CONFIG, "HostConfig.", []);
  if (b.NetworkingConfig !== undefined && b.NetworkingConfig !== null) networking(spec, b.NetworkingConfig);
  if (name) spec.name = parseContainerName(name);
  const warnings = validateSpec(spec);
  const cs = hc.ConsoleSize;
  const consoleSize = Array.isArray(cs) && typeof cs[0] === "number" && typeof cs[1] === "number" && cs[0] > 0 && cs[1] > 0 ? { rows: cs[0], cols: cs[1] } : undefined;
  return consoleSize ? { spec, warnings, consoleSize } : { spec, warnings };
}
