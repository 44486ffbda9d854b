// Which cgroup layout this host has, read from /proc/self/mountinfo:
// v2 (only cgroup2 at /sys/fs/cgroup), v1 (one hierarchy per controller) or
// hybrid (v1 controllers plus a controller-less cgroup2, e.g. at .../unified).
import { readFileSync } from "node:fs";

export type CgroupMode = "v1" | "v2" | "hybrid" | "none";

export interface Hierarchy {
  /** mount point, e.g. /sys/fs/cgroup/memory */
  mount: string;
  version: 1 | 2;
  /** v1 controllers on this hierarchy (e.g. ["cpu"], ["name=systemd"]); v2: enabled ones */
  controllers: string[];
  /** the cgroup of the mount's root relative to the hierarchy root (normally "/") */
  root: string;
}

export function readHierarchies(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const f = pre.split(" ");
    const [fstype, , superOpts = ""] = post.split(" ");
    const mount = f[4]!;
    const root = f[3]!;
    if (fstype === "cgroup") {
      const ctrls = superOpts.split(",").filter((o) => !["rw", "ro", "relatime", "noexec", "nosuid", "nodev", "clone_children", "xattr"].includes(o) && !o.startsWith("release_agent"));
      out.push({ mount, version: 1, controllers: ctrls, root });
    } else if (fstype === "cgroup2") {
      let ctrls: string[] = [];
      try {
        ctrls = readFileSync(`${mount}/cgroup.controllers`, "utf8").trim().split(/\s+/).filter(Boolean);
      } catch {}
      out.push({ mount, version: 2, controllers: ctrls, root });
    }
  }
  return out;
}

export function detectMode(h: Hierarchy[] = readHierarchies()): CgroupMode {
  const v1 = h.some((x) => x.version === 1 && !x.controllers.every((c) => c.startsWith("name=")));
  const v2 = h.some((x) => x.version === 2);
  if (v1 && v2) return "hybrid";
  if (v1) return "v1";
  if (v2) return "v2";
  return "none";
}
