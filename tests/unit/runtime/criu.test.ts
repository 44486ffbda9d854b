// What ctr tells CRIU, checked without root: which mounts are named as
// external (from a real container's mountinfo, as the host shows it) and the
// restore Plan the monitor runs.
import { describe, expect, test } from "bun:test";
import { externalMounts, mountKey, parseMountinfo } from "../../../runtime/criu/mounts.ts";
import { buildRestorePlan } from "../../../runtime/plan.ts";

// a bridge-networked container: net/'s files and a volume are binds from the host's disk
const MOUNTINFO = `64 41 254:0 /tmp/rootfs / rw,relatime - ext4 /dev/vda rw
65 64 0:39 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
66 64 0:40 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
70 64 0:43 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
71 70 0:44 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
72 71 0:28 /ctr/abc /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
81 71 0:37 /ctr/abc /sys/fs/cgroup/unified ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw
82 64 0:24 /ctr/containers/abc/hosts /etc/hosts rw,nosuid,nodev,noexec - tmpfs tmpfs rw
83 64 254:0 /srv/data /data\\040dir rw,relatime - ext4 /dev/vda rw
43 65 0:40 /null /proc/interrupts rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
47 65 0:39 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc proc rw
42 65 0:45 / /proc/acpi ro,relatime - tmpfs tmpfs ro,size=0k
`;

describe("external mounts", () => {
  test("binds from host filesystems are external; the container's own filesystems, binds from them and cgroups are not", () => {
    expect(externalMounts(parseMountinfo(MOUNTINFO))).toEqual(["/etc/hosts", "/data dir"]);
  });
  test("keys carry no ':' or '/' (CRIU splits --ext-mount-map on ':')", () => {
    expect(mountKey("/etc/hosts")).toBe("ctr_etc_hosts");
    expect(mountKey("/a:b")).not.toMatch(/[:/]/);
  });
});

describe("restore plan", () => {
  test("restore mode, no init steps; fds for CRIU in order, then criu's argv", () => {
    const steps = buildRestorePlan({
      stateDir: "/s", logPath: "/s/log", oomCounter: "/cg/memory.oom_control", pidFile: "/s/restore.pid",
      criuArgv: ["/usr/sbin/criu", "restore", "--inherit-fd", "fd[3]:pipe:[1]"], inherit: ["stdin", "stdout", "stderr", "/run/ctr/netns/abc"],
    });
    expect(steps.map((s) => s.op)).toEqual(["MODE", "CLONE_FLAGS", "STATE_DIR", "LOG_PATH", "STDIO", "ATTACH", "OOM_COUNTER", "INHERIT_FD", "INHERIT_FD", "INHERIT_FD", "INHERIT_FD", "CRIU_RESTORE"]);
    expect(steps[0]!.args).toEqual(["restore"]);
    expect(steps.filter((s) => s.op === "INHERIT_FD").map((s) => s.args[0])).toEqual(["stdin", "stdout", "stderr", "/run/ctr/netns/abc"]);
    expect(steps.at(-1)!.args).toEqual(["/s/restore.pid", "/usr/sbin/criu", "restore", "--inherit-fd", "fd[3]:pipe:[1]"]);
  });
});
