// --device: a host device node, looked up now (stat, following symlinks as
// Docker does), becomes a node made in the container's /dev and a rule on
// the device allow-list (v1 devices.allow, v2 the BPF program). Anything but
// a character or block device is refused by name.
import { statSync } from "node:fs";
import { majorMinor } from "../../cgroup/controllers/blkio.ts";
import type { DeviceMapping } from "../../spec/types.ts";
import type { DeviceNode } from "./defaults.ts";

export class HostDeviceError extends Error {}

export interface HostDevice {
  node: DeviceNode & { hostPath: string };
  /** e.g. "b 253:0 rwm" */
  rule: string;
}

export function hostDevices(list: DeviceMapping[], stat = statSync): HostDevice[] {
  return list.map((d) => {
    const flag = `--device ${d.hostPath}${d.containerPath === d.hostPath ? "" : `:${d.containerPath}`}`;
    let st;
    try {
      st = stat(d.hostPath);
    } catch (e) {
      throw new HostDeviceError(`${flag}: no such device on this host (${(e as NodeJS.ErrnoException).code})`);
    }
    const type = st.isBlockDevice() ? "b" : st.isCharacterDevice() ? "c" : undefined;
    if (!type) throw new HostDeviceError(`${flag}: not a device node (give a character or block device)`);
    const [major, minor] = majorMinor(st.rdev).split(":").map(Number) as [number, number];
    return {
      node: { path: d.containerPath, hostPath: d.hostPath, type, major, minor, mode: st.mode & 0o777 },
      rule: `${type} ${major}:${minor} ${d.permissions}`,
    };
  });
}
