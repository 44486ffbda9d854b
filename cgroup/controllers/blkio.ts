// block I/O: v1 blkio.{bfq.,}weight and blkio.throttle.*_bps_device; v2
// io.{bfq.,}weight and io.max. Devices are named by major:minor, taken from
// a stat of the host's device node (as Docker does), never from the path.
import { statSync } from "node:fs";
import type { ResourceSpec } from "../../spec/types.ts";
import { type Limit, put } from "./write.ts";

export class DeviceError extends Error {}

/** glibc's gnu_dev_major/minor on a 64-bit dev_t */
export function majorMinor(rdev: number): string {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** /dev/sda -> "8:0"; a missing or non-block device is refused here, a partition by the kernel (ENODEV). */
export function deviceNumber(path: string, stat = statSync): string {
  let st;
  try {
    st = stat(path);
  } catch {
    throw new DeviceError(`no such device on this host`);
  }
  if (!st.isBlockDevice()) throw new DeviceError(`not a block device`);
  return majorMinor(st.rdev);
}

/** OCI's conversion of a blkio weight (10..1000) to an io.weight (1..10000). */
export const blkioToIoWeight = (w: number) => Math.floor(1 + ((w - 10) * 9999) / 990);

/**
 * Which weight file a directory offers, as runc chooses it: the CFQ-era
 * blkio.weight when present, else BFQ's (the only one on current kernels
 * with BFQ loaded). v2: io.bfq.weight takes the v1 scale, io.weight its own.
 */
export function blkioLimits(r: ResourceSpec, version: 1 | 2, has: (file: string) => boolean, dev: (path: string) => string = deviceNumber): Limit[] {
  const out: Limit[] = [];
  const w = r.blkioWeight;
  if (w) {
    if (version === 1) out.push(put(has("blkio.weight") ? "blkio.weight" : "blkio.bfq.weight", w));
    else if (has("io.bfq.weight")) out.push(put("io.bfq.weight", w));
    else out.push(put("io.weight", blkioToIoWeight(w)));
  }
  for (const [list, v1file, key, flag] of [
    [r.deviceReadBps, "blkio.throttle.read_bps_device", "rbps", "--device-read-bps"],
    [r.deviceWriteBps, "blkio.throttle.write_bps_device", "wbps", "--device-write-bps"],
  ] as const) {
    for (const d of list ?? []) {
      let mm: string;
      try {
        mm = dev(d.path);
      } catch (e) {
        throw new DeviceError(`${flag} ${d.path}:${d.rate}: ${(e as Error).message}`);
      }
      // v2: 0 means "no limit", written as max
      if (version === 1) out.push(put(v1file, `${mm} ${d.rate}`));
      else out.push(put("io.max", `${mm} ${key}=${d.rate === 0 ? "max" : d.rate}`));
    }
  }
  return out;
}

export const wantsBlkio = (r: ResourceSpec) => Boolean(r.blkioWeight) || Boolean(r.deviceReadBps?.length) || Boolean(r.deviceWriteBps?.length);
