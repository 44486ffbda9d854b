// An OCI bundle's filesystem (config.json mounts, devices, masked and
// read-only paths, rootfs propagation) -> the plan's FsLayout. Option names
// map to mount flags through one table, as runc's mount option table.
import { statSync } from "node:fs";
import type { OciExtras } from "../../spec/types.ts";
import type { FsLayout } from "../plan.ts";
import { type DefaultMount, type DeviceNode, MS, PROPAGATION } from "./defaults.ts";

/** option -> [flags to set, flags to clear] */
const FLAGS: Record<string, [number, number]> = {
  ro: [MS.RDONLY, 0], rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0], suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0], dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0], exec: [0, MS.NOEXEC],
  sync: [16, 0], async: [0, 16], mand: [64, 0], nomand: [0, 64], dirsync: [128, 0],
  noatime: [1024, 0], atime: [0, 1024], nodiratime: [2048, 0], diratime: [0, 2048],
  relatime: [MS.RELATIME, 0], norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0], nostrictatime: [0, MS.STRICTATIME],
  bind: [MS.BIND, 0], rbind: [MS.BIND | MS.REC, 0], silent: [32768, 0], loud: [0, 32768],
};


export function parseMountOptions(options: string[]): { flags: number; data: string; propagation: number } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (f) flags = (flags | f[0]) & ~f[1];
    else if (o in PROPAGATION && o !== "") propagation = PROPAGATION[o]!;
    else data.push(o);
  }
  return { flags, data: data.join(","), propagation };
}

export interface OciFsContext {
  /** the container has a network namespace of its own (new or joined), so a new sysfs may be mounted */
  ownNetns: boolean;
  userns: boolean;
  /** /sys/fs/cgroup for this host's layout (rootfs/cgroupfs.ts) */
  cgroupMounts: DefaultMount[];
}

export function ociFsLayout(oci: OciExtras, ctx: OciFsContext): FsLayout {
  const mounts: FsLayout["mounts"] = [];
  const readonly = [...oci.readonlyPaths];
  for (const m of oci.mounts) {
    const { flags, data, propagation } = parseMountOptions(m.options ?? []);
    const type = m.type ?? (flags & MS.BIND ? "bind" : "");
    if ((type === "cgroup" || type === "cgroup2") && ctx.userns) {
      // v1 hierarchies cannot be mounted from a user namespace: the host's tree, bound read-only
      mounts.push({ source: "/sys/fs/cgroup", target: m.destination, fstype: "", flags: MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "", create: "dir" });
      continue;
    }
    if (type === "cgroup" || type === "cgroup2") {
      // the host's layout, v1 or v2, whatever config.json names
      const ro = flags & MS.RDONLY;
      for (const c of ctx.cgroupMounts) mounts.push({ ...c, flags: ro ? c.flags : c.flags & ~MS.RDONLY, create: "dir" });
      // the v1 tmpfs holding them stays writable, as runc leaves it (a read-only remount would show every hierarchy twice)
      continue;
    }
    if (type === "sysfs" && (!ctx.ownNetns || ctx.userns)) {
      // the kernel refuses a new sysfs without a netns of one's own: bind the host's (runc does the same)
      // without its submounts when the bundle mounts a cgroupfs over /sys/fs/cgroup (a cgroup2 mount on the host's is EBUSY)
      const cgroupfsFollows = !ctx.userns && oci.mounts.some((c) => c.type === "cgroup" || c.type === "cgroup2");
      mounts.push({ source: "/sys", target: m.destination, fstype: "", flags: MS.BIND | (cgroupfsFollows ? 0 : MS.REC) | (flags & ~MS.BIND), data: "", create: "dir" });
      continue;
    }
    const isBind = (flags & MS.BIND) !== 0 || type === "bind";
    let create: "dir" | "file" = "dir";
    if (isBind) {
      try {
        if (!statSync(m.source ?? "").isDirectory()) create = "file";
      } catch {
        throw new Error(`mount ${m.source} on ${m.destination}: the source does not exist`);
      }
    }
    mounts.push({
      source: m.source ?? "", target: m.destination, fstype: isBind ? "" : type,
      flags: isBind ? flags | MS.BIND : flags, data: isBind ? "" : data, create,
      ...(propagation ? { propagation } : {}),
    });
  }
  const devices: DeviceNode[] = oci.devices
    .filter((d) => d.type !== "p")
    .map((d) => ({ path: d.path, type: d.type === "b" ? "b" : "c", major: d.major, minor: d.minor, mode: d.fileMode & 0o7777 }));
  return {
    mounts,
    masked: oci.maskedPaths,
    readonly,
    propagation: PROPAGATION[oci.rootfsPropagation] ?? MS.SLAVE | MS.REC,
    devices,
  };
}
