// The device allow-list: without it a container that keeps CAP_MKNOD (as
// Docker's default set does) could mknod /dev/sda and read the host's disk.
// v1: deny everything, then allow Docker's default list; v2: the same list as
// a BPF program (devices-bpf.ts), attached by cgroup.ts.
import type { ResourceSpec } from "../../spec/types.ts";
import { type Limit, put } from "./write.ts";

/** Docker's default rules (moby oci/defaults.go), in the v1 file syntax. */
export const DEFAULT_DEVICE_RULES = [
  "c *:* m", // mknod of any char device (opening is what matters) ...
  "b *:* m", // ... and of any block device
  "c 1:3 rwm", // null
  "c 1:5 rwm", // zero
  "c 1:7 rwm", // full
  "c 1:8 rwm", // random
  "c 1:9 rwm", // urandom
  "c 5:0 rwm", // tty
  "c 5:1 rwm", // console
  "c 5:2 rwm", // ptmx
  "c 136:* rwm", // pts
  "c 10:200 rwm", // net/tun
];

export function deviceLimits(r: ResourceSpec): Limit[] {
  if (r.devicesAllowAll) return [put("devices.allow", "a")];
  const rules = [...DEFAULT_DEVICE_RULES, ...(r.deviceCgroupRules ?? [])];
  return [put("devices.deny", "a"), ...rules.map((x) => put("devices.allow", x))];
}
