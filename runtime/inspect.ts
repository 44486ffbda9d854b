// `inspect`: the container as Docker's API shapes it, so `--format` templates
// written for Docker (.State.Pid, .Config.Env, .HostConfig.Memory) work.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { containerEndpoints, isManagedMode } from "../net/container.ts";
import { type PortBinding, publishedPorts } from "../net/published.ts";
import { capNames } from "./process/capabilities.ts";
import { containerDir, stateRoot } from "./state/paths.ts";
import type { ContainerRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

export function inspectContainer(rec: ContainerRecord) {
  const live = liveState(rec);
  const s = rec.spec;
  // Docker's ExposedPorts: the image's, --expose and every published port
  const exposed = [...new Set([...(rec.image?.exposedPorts ?? []), ...(s.network.expose ?? []), ...s.network.ports.map((p) => `${p.containerPort}/${p.protocol}`)])];
  const status = live.status === "creating" ? "created" : live.status;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.argv[0],
    Args: rec.argv.slice(1),
    State: {
      Status: status,
      Running: live.status === "running" || live.status === "paused",
      Paused: live.status === "paused",
      Restarting: live.status === "restarting",
      OOMKilled: live.exit?.oomKilled ?? false,
      Dead: live.status === "dead",
      Pid: live.pid,
      ExitCode: live.exit?.exitCode ?? 0,
      Error: "",
      StartedAt: live.init?.startedAt ?? ZERO_TIME,
      FinishedAt: live.exit?.finishedAt ?? ZERO_TIME,
      ...checkpointState(rec, live.status),
    },
    Image: rec.image?.id ?? s.image ?? "",
    ...netFiles(rec),
    LogPath: rec.logPath,
    Name: `/${rec.name}`,
    RestartCount: live.init?.restartCount ?? 0,
    Driver: rec.image ? "overlay" : "rootfs",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    HostConfig: {
      NetworkMode: s.network.mode,
      // as asked (host port "" for any free one), as Docker records them
      PortBindings: Object.fromEntries(Object.entries(Object.groupBy(s.network.ports, (p) => `${p.containerPort}/${p.protocol}`))
        .map(([k, ps]) => [k, ps!.map((p) => ({ HostIp: p.hostIp ?? "", HostPort: p.hostPort ? String(p.hostPort) : "" }))])),
      PublishAllPorts: s.network.publishAll ?? false,
      RestartPolicy: { Name: s.restart.name, MaximumRetryCount: s.restart.maxRetries },
      AutoRemove: s.autoRemove,
      CapAdd: s.security.capAdd,
      CapDrop: s.security.capDrop,
      Privileged: s.security.privileged,
      ReadonlyRootfs: s.readOnly,
      SecurityOpt: [
        ...(s.security.seccomp !== "default" ? [`seccomp=${s.security.seccomp}`] : []),
        ...(s.security.noNewPrivileges ? ["no-new-privileges"] : []),
      ],
      Memory: s.resources.memory ?? 0,
      MemorySwap: s.resources.memorySwap ?? 0,
      MemoryReservation: s.resources.memoryReservation ?? 0,
      NanoCpus: s.resources.cpus ? Math.round(s.resources.cpus * 1e9) : 0,
      CpuShares: s.resources.cpuShares ?? 0,
      CpuQuota: s.resources.cpuQuota ?? 0,
      CpuPeriod: s.resources.cpuPeriod ?? 0,
      CpusetCpus: s.resources.cpusetCpus ?? "",
      CpusetMems: s.resources.cpusetMems ?? "",
      PidsLimit: s.resources.pidsLimit ?? null,
      KernelMemory: s.resources.kernelMemory ?? 0,
      BlkioWeight: s.resources.blkioWeight ?? 0,
      BlkioDeviceReadBps: (s.resources.deviceReadBps ?? []).map((d) => ({ Path: d.path, Rate: d.rate })),
      BlkioDeviceWriteBps: (s.resources.deviceWriteBps ?? []).map((d) => ({ Path: d.path, Rate: d.rate })),
      Devices: (s.devices ?? []).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: d.permissions })),
      CgroupParent: s.cgroupParent ?? "",
      Sysctls: s.sysctls,
      Ulimits: s.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Binds: s.mounts.filter((m) => m.type === "bind").map((m) => `${m.source}:${m.target}${m.readonly ? ":ro" : ""}`),
      Tmpfs: Object.fromEntries(s.mounts.filter((m) => m.type === "tmpfs").map((m) => [m.target, m.options.join(",")])),
      PidMode: nsMode(s.namespaces.pid),
      IpcMode: nsMode(s.namespaces.ipc) || "private",
      UTSMode: nsMode(s.namespaces.uts),
      CgroupnsMode: nsMode(s.namespaces.cgroup) || "private",
    },
    Mounts: s.mounts.map((m) => ({
      Type: m.type,
      Source: m.source ?? "",
      Destination: m.target,
      Mode: m.readonly ? "ro" : "",
      RW: !m.readonly,
      Propagation: "rprivate",
    })),
    Config: {
      Hostname: rec.hostname,
      Domainname: s.domainname ?? "",
      User: s.user ?? "",
      AttachStdin: s.interactive && !s.detach,
      AttachStdout: !s.detach,
      AttachStderr: !s.detach,
      Tty: s.tty,
      OpenStdin: s.interactive,
      Env: rec.env,
      Cmd: s.command ?? null,
      Entrypoint: s.entrypoint ?? null,
      Image: s.image ?? s.rootfs ?? "",
      WorkingDir: s.workdir ?? "",
      Labels: s.labels,
      StopSignal: s.stopSignal,
      StopTimeout: s.stopTimeout,
      ...(exposed.length ? { ExposedPorts: Object.fromEntries(exposed.map((p) => [p, {}])) } : {}),
    },
    NetworkSettings: networkSettings(rec, live.pid),
    // ctr's own additions, outside Docker's shape
    Ctr: {
      RootfsPath: rec.rootfs,
      MonitorPid: live.monitorAlive ? rec.monitorPid : 0,
      Capabilities: capNames(BigInt(`0x${rec.caps}`)),
      CgroupPaths: rec.cgroup.paths,
    },
  };
}

function nsMode(m: { mode: string; container?: string; path?: string } | undefined): string {
  if (!m || m.mode === "private") return "";
  if (m.mode === "host") return "host";
  if (m.mode === "container") return `container:${m.container}`;
  return m.path ?? "";
}

/** Docker's NetworkSettings: the first network's address at the top, every network under Networks. */
function networkSettings(rec: ContainerRecord, pid: number | undefined) {
  const eps = containerEndpoints(stateRoot(), rec.id);
  const first = eps[0];
  const prefix = (subnet: string) => Number(subnet.split("/")[1]);
  return {
    Bridge: "",
    SandboxKey: pid ? `/proc/${pid}/ns/net` : "",
    Ports: portMap(publishedPorts(stateRoot(), rec.id), [...(rec.image?.exposedPorts ?? []), ...(rec.spec.network.expose ?? [])]),
    IPAddress: first?.endpoint.ip ?? "",
    IPPrefixLen: first ? prefix(first.network.subnet) : 0,
    Gateway: first && !first.network.internal ? first.network.gateway : "",
    MacAddress: first?.endpoint.mac ?? "",
    Networks: Object.fromEntries(eps.map(({ network: n, endpoint: e }) => [n.name, {
      Aliases: e.aliases.length ? e.aliases : null,
      NetworkID: n.id,
      EndpointID: `${e.container.slice(0, 32)}${n.id.slice(0, 32)}`,
      Gateway: n.internal ? "" : n.gateway,
      IPAddress: e.ip,
      IPPrefixLen: prefix(n.subnet),
      MacAddress: e.mac,
      DNSNames: n.builtin ? null : [e.name, ...e.aliases, e.container.slice(0, 12)],
    }])),
  };
}

function netFiles(rec: ContainerRecord) {
  const managed = isManagedMode(rec.spec.network.mode);
  const f = (name: string) => (managed ? join(containerDir(rec.id), name) : "");
  return { ResolvConfPath: f("resolv.conf"), HostnamePath: f("hostname"), HostsPath: f("hosts") };
}

/** {"80/tcp": [{HostIp, HostPort}], "443/tcp": null}, as Docker shows published ports and exposed ones that are not */
function portMap(bindings: PortBinding[], exposed: string[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const b of bindings) (out[`${b.containerPort}/${b.protocol}`] ??= [])!.push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
  for (const e of exposed) if (!(e in out)) out[e] = null;
  return out;
}

/**
 * As Podman's State: Checkpointed while the latest checkpoint waits to be
 * restored; Restored (and from which checkpoint or archive) once brought back.
 */
function checkpointState(rec: ContainerRecord, status: string) {
  const dir = join(containerDir(rec.id), "checkpoint");
  let created: string | undefined;
  try {
    created = existsSync(join(dir, "ctr.json")) ? (JSON.parse(readFileSync(join(dir, "ctr.json"), "utf8")) as { created: string }).created : undefined;
  } catch {}
  const r = rec.restoredFrom;
  const waiting = created !== undefined && status === "exited" && (!r || r.restoredAt < created);
  return {
    Checkpointed: waiting,
    ...(created ? { CheckpointedAt: created, CheckpointPath: dir } : r ? { CheckpointedAt: r.created } : {}),
    Restored: r !== undefined,
    ...(r ? { RestoredAt: r.restoredAt, RestoredFrom: r.checkpoint, ...(r.from ? { RestoredFromContainer: r.from } : {}) } : {}),
  };
}
