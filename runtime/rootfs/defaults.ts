// What every container's filesystem gets, as runc and Docker give it.
// Tables, not code: plan.ts walks them.

export const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, REC: 16384,
  UNBINDABLE: 1 << 17, PRIVATE: 1 << 18, SLAVE: 1 << 19, SHARED: 1 << 20, RELATIME: 1 << 21, STRICTATIME: 1 << 24,
} as const;

export interface DefaultMount {
  target: string;
  fstype: string;
  source: string;
  flags: number;
  data: string;
  /** a propagation type of its own (MS.SHARED|MS_REC...), set after the mount */
  propagation?: number;
}

export const DEFAULT_MOUNTS: DefaultMount[] = [
  { target: "/proc", fstype: "proc", source: "proc", flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: "" },
  { target: "/dev", fstype: "tmpfs", source: "tmpfs", flags: MS.NOSUID | MS.STRICTATIME, data: "mode=755,size=65536k" },
  { target: "/dev/pts", fstype: "devpts", source: "devpts", flags: MS.NOSUID | MS.NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5" },
  { target: "/dev/shm", fstype: "tmpfs", source: "shm", flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: "mode=1777,size=65536k" },
  { target: "/dev/mqueue", fstype: "mqueue", source: "mqueue", flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: "" },
];

export const SYSFS: DefaultMount = {
  target: "/sys", fstype: "sysfs", source: "sysfs", flags: MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, data: "",
};

export interface DeviceNode {
  path: string;
  /** --device: the host's node, bound where mknod is not allowed (a user namespace) */
  hostPath?: string;
  type: "c" | "b";
  major: number;
  minor: number;
  mode: number;
}

export const DEFAULT_DEVICES: DeviceNode[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, mode: 0o666 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, mode: 0o666 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, mode: 0o666 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, mode: 0o666 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, mode: 0o666 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, mode: 0o666 },
];

export const DEV_SYMLINKS: [string, string][] = [
  ["/dev/fd", "/proc/self/fd"],
  ["/dev/stdin", "/proc/self/fd/0"],
  ["/dev/stdout", "/proc/self/fd/1"],
  ["/dev/stderr", "/proc/self/fd/2"],
  ["/dev/ptmx", "pts/ptmx"],
  ["/dev/core", "/proc/kcore"],
];

/** Docker's defaults (moby oci/defaults.go). */
export const MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** RLIMIT_* numbers (x86_64), by Docker's ulimit names. */
export const RLIMITS: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

/** mount(NULL, target, ...) flags for a propagation option, for the rootfs and for each mount */
export const PROPAGATION: Record<string, number> = {
  "": MS.SLAVE | MS.REC,
  slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC,
  unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};
