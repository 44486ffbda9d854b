// /sys/fs/cgroup inside the container, read-only, as Docker gives it. The init
// mounts it after unsharing its cgroup namespace, so each hierarchy shows the
// container's own cgroup as its root. v1 and hybrid: a tmpfs with one mount
// per hierarchy; v2: one cgroup2 mount.
import { basename } from "node:path";
import type { Hierarchy } from "../../cgroup/mode.ts";
import { type DefaultMount, MS } from "./defaults.ts";

const RO = MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY;

export function cgroupMounts(hs: Hierarchy[]): DefaultMount[] {
  const v1 = hs.filter((h) => h.version === 1);
  const v2 = hs.find((h) => h.version === 2);
  if (v1.length === 0) {
    return v2 ? [{ target: "/sys/fs/cgroup", fstype: "cgroup2", source: "cgroup", flags: RO, data: "" }] : [];
  }
  const out: DefaultMount[] = [
    { target: "/sys/fs/cgroup", fstype: "tmpfs", source: "tmpfs", flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, data: "mode=755" },
  ];
  for (const h of v1) {
    const named = h.controllers.filter((c) => c.startsWith("name="));
    const data = named.length && named.length === h.controllers.length ? `none,${named.join(",")}` : h.controllers.join(",");
    out.push({ target: `/sys/fs/cgroup/${basename(h.mount)}`, fstype: "cgroup", source: "cgroup", flags: RO, data });
  }
  if (v2) out.push({ target: `/sys/fs/cgroup/${basename(v2.mount)}`, fstype: "cgroup2", source: "cgroup", flags: RO, data: "" });
  return out;
}
