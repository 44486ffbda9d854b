// config.json -> ContainerSpec, starting from what `runc spec` writes
// (tests/fixtures/runc-spec-config.json, runc 1.1.5) and variants of it.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { buildRunPlan, type RunInput } from "../../../runtime/plan.ts";
import { validateProfile } from "../../../runtime/process/seccomp.ts";
import { MS } from "../../../runtime/rootfs/defaults.ts";
import { ociFsLayout, parseMountOptions } from "../../../runtime/rootfs/oci.ts";
import { parseOciConfig } from "../../../spec/oci.ts";

const base = () => JSON.parse(readFileSync(`${import.meta.dir}/../../fixtures/runc-spec-config.json`, "utf8"));

describe("runc spec's config.json", () => {
  const { spec, warnings, seccomp } = parseOciConfig(base(), "/b");
  test("process", () => {
    expect(spec.entrypoint).toEqual(["sh"]);
    expect(spec.env).toEqual({ PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", TERM: "xterm" });
    expect(spec.workdir).toBe("/");
    expect(spec.tty).toBe(true);
    expect(spec.user).toBe("0:0");
    expect(spec.security.noNewPrivileges).toBe(true);
    expect(spec.security.capDrop).toEqual(["ALL"]);
    expect(spec.security.capAdd).toEqual(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    expect(spec.ulimits).toEqual([{ name: "nofile", soft: 1024, hard: 1024 }]);
  });
  test("root relative to the bundle, hostname", () => {
    expect(spec.rootfs).toBe("/b/rootfs");
    expect(spec.readOnly).toBe(true);
    expect(spec.hostname).toBe("runc");
  });
  test("namespaces listed are new, the others the host's", () => {
    for (const k of ["pid", "net", "ipc", "uts", "mount"] as const) expect(spec.namespaces[k]).toEqual({ mode: "private" });
    expect(spec.namespaces.user).toEqual({ mode: "host" });
    expect(spec.namespaces.cgroup).toEqual({ mode: "host" });
    expect(spec.network.mode).toBe("none");
  });
  test("mounts, masked and read-only paths kept as given", () => {
    expect(spec.oci!.mounts.map((m) => m.destination)).toEqual(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]);
    expect(spec.oci!.maskedPaths).toContain("/proc/kcore");
    expect(spec.oci!.readonlyPaths).toEqual(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]);
    expect(spec.resources).toEqual({});
    expect(warnings).toEqual([]);
    expect(seccomp).toBeUndefined();
  });
});

describe("variants", () => {
  test("namespace paths are joined; a joined netns is the ns: network mode", () => {
    const c = base();
    c.linux.namespaces = [{ type: "pid" }, { type: "network", path: "/run/netns/x" }, { type: "mount" }];
    const { spec } = parseOciConfig(c, "/b");
    expect(spec.namespaces.net).toEqual({ mode: "path", path: "/run/netns/x" });
    expect(spec.network.mode).toBe("ns:/run/netns/x");
    expect(spec.namespaces.uts).toEqual({ mode: "host" });
  });
  test("no network namespace is the host's network", () => {
    const c = base();
    c.linux.namespaces = [{ type: "pid" }, { type: "mount" }];
    expect(parseOciConfig(c, "/b").spec.network.mode).toBe("host");
  });
  test("user, rlimit infinity, resources, sysctl, cgroupsPath, annotations, id maps", () => {
    const c = base();
    c.process.user = { uid: 1000, gid: 100, additionalGids: [10, 20] };
    c.process.rlimits.push({ type: "RLIMIT_CORE", soft: 18446744073709551615, hard: 18446744073709551615 });
    c.linux.resources = {
      memory: { limit: 67108864 }, cpu: { shares: 512, quota: 50000, period: 100000, cpus: "0" }, pids: { limit: 64 },
      devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }],
    };
    c.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    c.linux.cgroupsPath = "/mine/abc";
    c.annotations = { "org.example": "yes" };
    c.linux.namespaces.push({ type: "user" });
    c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const { spec } = parseOciConfig(c, "/b");
    expect(spec.user).toBe("1000:100");
    expect(spec.groupAdd).toEqual(["10", "20"]);
    expect(spec.ulimits[1]).toEqual({ name: "core", soft: -1, hard: -1 });
    expect(spec.resources).toEqual({ memory: 67108864, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: "0", pidsLimit: 64, deviceCgroupRules: ["c 10:200 rwm"] });
    expect(spec.sysctls).toEqual({ "net.ipv4.ip_forward": "1" });
    expect(spec.oci!.cgroupsPath).toBe("/mine/abc");
    expect(spec.oci!.annotations).toEqual({ "org.example": "yes" });
    expect(spec.oci!.uidMappings).toEqual(["0 100000 65536"]);
  });
  test("seccomp becomes a profile the compiler accepts", () => {
    const c = base();
    c.linux.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }, { names: ["personality"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 8, op: "SCMP_CMP_EQ" }] }],
    };
    const { seccomp } = parseOciConfig(c, "/b");
    expect(validateProfile(seccomp).syscalls!.length).toBe(2);
  });
  test("apparmor, selinux and unknown hook kinds are warned about; every runtime-spec hook kept", () => {
    const c = base();
    c.process.apparmorProfile = "docker-default";
    c.process.selinuxLabel = "system_u:system_r:container_t:s0";
    c.hooks = { prestart: [{ path: "/bin/true", timeout: 5 }], startContainer: [{ path: "/bin/true" }], preboot: [{ path: "/bin/true" }] };
    const { spec, warnings } = parseOciConfig(c, "/b");
    expect(warnings.length).toBe(3);
    expect(spec.oci!.hooks).toEqual({ prestart: [{ path: "/bin/true", timeout: 5 }], startContainer: [{ path: "/bin/true" }] });
    c.hooks = { poststop: [{ path: "rel" }] };
    expect(() => parseOciConfig(c, "/b")).toThrow(/hooks.poststop\[0\].path/);
  });
  test("errors name the field", () => {
    const bad = (f: (c: any) => void, msg: RegExp) => {
      const c = base();
      f(c);
      expect(() => parseOciConfig(c, "/b")).toThrow(msg);
    };
    bad((c) => (c.ociVersion = "0.5"), /ociVersion/);
    bad((c) => (c.process.args = []), /process.args/);
    bad((c) => delete c.root, /root.path/);
    bad((c) => (c.process.cwd = "rel"), /process.cwd/);
    bad((c) => c.linux.namespaces.push({ type: "time2" }), /linux.namespaces\[5\]/);
    bad((c) => c.linux.namespaces.push({ type: "user" }), /uidMappings/);
    bad((c) => (c.process.rlimits = [{ type: "NOFILE", soft: 1, hard: 1 }]), /RLIMIT_/);
  });
});

describe("filesystem layout", () => {
  test("mount options map to flags and data", () => {
    expect(parseMountOptions(["nosuid", "strictatime", "mode=755", "size=65536k"])).toEqual({ flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k", propagation: 0 });
    expect(parseMountOptions(["rbind", "ro", "rprivate"])).toEqual({ flags: MS.BIND | MS.REC | MS.RDONLY, data: "", propagation: MS.PRIVATE | MS.REC });
    expect(parseMountOptions(["bind", "rshared"]).propagation).toBe(MS.SHARED | MS.REC);
  });
  const { spec } = parseOciConfig(base(), "/b");
  const cg = [{ target: "/sys/fs/cgroup", fstype: "cgroup2", source: "cgroup", flags: MS.RDONLY, data: "" }];
  test("cgroup mounts follow the host; sysfs is bound without a netns", () => {
    const fs = ociFsLayout(spec.oci!, { ownNetns: true, userns: false, cgroupMounts: cg });
    expect(fs.mounts.find((m) => m.target === "/sys")!.fstype).toBe("sysfs");
    expect(fs.mounts.find((m) => m.target === "/sys/fs/cgroup")!.fstype).toBe("cgroup2");
    const hostNet = ociFsLayout(spec.oci!, { ownNetns: false, userns: false, cgroupMounts: cg });
    const sys = hostNet.mounts.find((m) => m.target === "/sys")!;
    expect(sys.source).toBe("/sys");
    // the bundle's cgroup mount follows: the host's submounts stay behind (a cgroup2 mount on the host's is EBUSY)
    expect(sys.flags & (MS.BIND | MS.REC)).toBe(MS.BIND);
    const userns = ociFsLayout(spec.oci!, { ownNetns: false, userns: true, cgroupMounts: cg });
    expect(userns.mounts.find((m) => m.target === "/sys")!.flags & MS.REC).toBe(MS.REC);
  });
  test("the plan uses the bundle's mounts and masks, not Docker's", () => {
    const fs = ociFsLayout(spec.oci!, { ownNetns: true, userns: false, cgroupMounts: cg });
    const input: RunInput = {
      spec, rootfs: "/b/rootfs", stateDir: "/s", logPath: "/s/log", hostname: "runc", argv: ["sh"], env: [],
      user: { uid: 0, gid: 0, groups: [0], home: "/root" }, caps: 0n, seccomp: null, cgroupProcs: [],
      namespaces: [{ kind: "pid", how: "new" }, { kind: "net", how: "new" }, { kind: "mount", how: "new" }],
      attach: { stdin: false, stdout: true, stderr: true }, fs,
    };
    const steps = buildRunPlan(input);
    const targets = steps.filter((s) => s.op === "MOUNT").map((s) => s.args[1]);
    expect(targets).toEqual(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]);
    const masked = steps.filter((s) => s.op === "MASK").map((s) => s.args[0]);
    expect(masked).toEqual(spec.oci!.maskedPaths);
    expect(masked).not.toContain("/sys/devices/virtual/powercap");
  });
});
