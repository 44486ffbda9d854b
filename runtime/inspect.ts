// `inspect`: the container as Docker's API shapes it, so `--format` templates
// written for Docker (.State.Pid, .Config.Env, .HostConfig.Memory) work.
import { capNames } from "./process/capabilities.ts";
import type { ContainerRecord } from "./state/record.ts";
import { liveState } from "./state/status.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

export function inspectContainer(rec: ContainerRecord) {
  const live = liveState(rec);
  const s = rec.spec;
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
      OOMKilled: false,
      Dead: live.status === "dead",
      Pid: live.pid,
      ExitCode: live.exit?.exitCode ?? 0,
      Error: "",
      StartedAt: live.init?.startedAt ?? ZERO_TIME,
      FinishedAt: live.exit?.finishedAt ?? ZERO_TIME,
    },
    Image: s.image ?? "",
    ResolvConfPath: "",
    HostnamePath: "",
    HostsPath: "",
    LogPath: rec.logPath,
    Name: `/${rec.name}`,
    RestartCount: live.init?.restartCount ?? 0,
    Driver: "rootfs",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    HostConfig: {
      NetworkMode: s.network.mode,
      PortBindings: {},
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
    },
    NetworkSettings: {
      Bridge: "",
      SandboxKey: live.pid ? `/proc/${live.pid}/ns/net` : "",
      Ports: {},
      IPAddress: "",
      IPPrefixLen: 0,
      Gateway: "",
      MacAddress: "",
      Networks: {},
    },
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
