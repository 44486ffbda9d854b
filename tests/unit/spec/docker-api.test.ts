// The create body of Docker's API -> ContainerSpec: what the docker CLI sends
// for `docker run`, and the refusals (unknown fields, features ctr lacks).
import { describe, expect, test } from "bun:test";
import { isEmpty, specFromCreateBody } from "../../../spec/docker-api.ts";

/** Roughly what docker CLI 28 sends for `docker run -m 64m --cpus 1.5 -e A=1 -p 8080:80 --name web busybox sh` (zero values for every flag not given). */
const cliBody = {
  Hostname: "", Domainname: "", User: "", AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: ["A=1"], Cmd: ["sh"], Image: "busybox", Volumes: {}, WorkingDir: "", Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: "", LogConfig: { Type: "", Config: {} }, NetworkMode: "default",
    PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] }, RestartPolicy: { Name: "no", MaximumRetryCount: 0 }, AutoRemove: false,
    VolumeDriver: "", VolumesFrom: null, ConsoleSize: [40, 120], CapAdd: null, CapDrop: null, CgroupnsMode: "", Dns: [], DnsOptions: [], DnsSearch: [],
    ExtraHosts: null, GroupAdd: null, IpcMode: "", Cgroup: "", Links: null, OomScoreAdj: 0, PidMode: "", Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: "", UsernsMode: "", ShmSize: 0, Isolation: "", CpuShares: 0, Memory: 67108864, NanoCpus: 1500000000,
    CgroupParent: "", BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: "", CpusetMems: "", Devices: [], DeviceCgroupRules: null,
    DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: [],
    CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

describe("specFromCreateBody", () => {
  test("the CLI's body: limits, env, ports, name; zero values change nothing", () => {
    const { spec, consoleSize } = specFromCreateBody(cliBody, "web");
    expect(spec.image).toBe("busybox");
    expect(spec.name).toBe("web");
    expect(spec.command).toEqual(["sh"]);
    expect(spec.entrypoint).toBeUndefined();
    expect(spec.env).toEqual({ A: "1" });
    expect(spec.resources).toEqual({ memory: 67108864, cpus: 1.5 });
    expect(spec.network.mode).toBe("bridge");
    expect(spec.network.ports).toEqual([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
    expect(spec.restart).toEqual({ name: "no", maxRetries: 0 });
    expect(spec.detach).toBe(true);
    expect(consoleSize).toEqual({ rows: 40, cols: 120 });
  });

  test("HostConfig settings map onto the spec", () => {
    const { spec } = specFromCreateBody({
      Image: "busybox", Entrypoint: [""], Tty: true, OpenStdin: true, StopSignal: "SIGINT", StopTimeout: 3,
      HostConfig: {
        Binds: ["/tmp:/data:ro"], AutoRemove: true, NetworkMode: "none", CapAdd: ["NET_ADMIN"], CapDrop: ["ALL"], PidsLimit: 50,
        Tmpfs: { "/run": "size=1m" }, Ulimits: [{ Name: "nofile", Soft: 100, Hard: 200 }], RestartPolicy: { Name: "", MaximumRetryCount: 0 },
        SecurityOpt: ["no-new-privileges:false"], PidMode: "host", Sysctls: { "net.ipv4.ip_forward": "1" },
      },
    }, null);
    expect(spec.entrypoint).toEqual([]);
    expect([spec.tty, spec.interactive, spec.autoRemove]).toEqual([true, true, true]);
    expect(spec.stopSignal).toBe("SIGINT");
    expect(spec.stopTimeout).toBe(3);
    expect(spec.network.mode).toBe("none");
    expect(spec.security.capAdd).toEqual(["CAP_NET_ADMIN"]);
    expect(spec.security.capDrop).toEqual(["ALL"]);
    expect(spec.security.noNewPrivileges).toBe(false);
    expect(spec.resources.pidsLimit).toBe(50);
    expect(spec.mounts.map((m) => [m.type, m.target, m.readonly])).toEqual([["bind", "/data", true], ["tmpfs", "/run", false]]);
    expect(spec.ulimits).toEqual([{ name: "nofile", soft: 100, hard: 200 }]);
    expect(spec.namespaces.pid).toEqual({ mode: "host" });
    expect(spec.sysctls).toEqual({ "net.ipv4.ip_forward": "1" });
  });

  test("refusals: unknown fields, wrong types, features ctr lacks, bad names", () => {
    const err = (body: unknown, name: string | null = null) => {
      try {
        specFromCreateBody(body, name);
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(err({ Image: "busybox", Cmdd: ["x"] })).toBe('unknown field "Cmdd"; did you mean "Cmd"?');
    expect(err({ Image: "busybox", HostConfig: { Memroy: 1 } })).toContain('unknown field "HostConfig.Memroy"');
    expect(err({ Image: "busybox", HostConfig: { Memory: "64m" } })).toBe("HostConfig.Memory: expected a number");
    expect(err({ Image: "busybox", HostConfig: { ShmSize: 1024 } })).toBe("HostConfig.ShmSize: not supported by ctr");
    expect(err({ Image: "busybox", HostConfig: { LogConfig: { Type: "syslog" } } })).toContain("json-file only");
    expect(err({ Image: "busybox", HostConfig: { RestartPolicy: { Name: "always" }, AutoRemove: true } })).not.toBe("accepted");
    expect(err({ Cmd: ["x"] })).toContain("an image is required");
    expect(err([])).toBe("the request body must be a JSON object");
    expect(err({ Image: "busybox" }, "../etc")).toMatch(/invalid container name/i);
  });

  test("isEmpty: what the CLI sends for flags not given", () => {
    for (const v of [null, undefined, "", 0, false, [], {}, { Type: "", Config: {} }]) expect(isEmpty(v)).toBe(true);
    for (const v of [1, "x", true, ["a"], { a: 1 }]) expect(isEmpty(v)).toBe(false);
  });
});
