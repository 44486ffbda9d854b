// Validators for [resources] / the resource flags. Ranges are the kernel's
// (and Docker's): catching them here gives a message naming the setting,
// instead of an EINVAL from a cgroup file at start.

import { SpecError } from "./errors.ts";
import type { DeviceMapping } from "./types.ts";
import { parseInteger, parseSize } from "./units.ts";

/** memory-swap: a size, or -1 for unlimited swap. */
export function parseMemorySwap(s: string): number {
  return s.trim() === "-1" ? -1 : parseSize(s);
}

function inRange(n: number, what: string, ok: boolean, rule: string): number {
  if (!ok) throw new SpecError(`invalid ${what} ${n}: ${rule}`);
  return n;
}

export function checkCpuShares(n: number): number {
  return inRange(n, "CPU shares", n === 0 || (n >= 2 && n <= 262144), "must be between 2 and 262144 (0 = default)");
}

export function checkCpuPeriod(n: number): number {
  return inRange(n, "CPU period", n === 0 || (n >= 1000 && n <= 1000000), "must be between 1000 and 1000000 microseconds");
}

export function checkCpuQuota(n: number): number {
  return inRange(n, "CPU quota", n === 0 || n === -1 || n >= 1000, "must be at least 1000 microseconds, or -1 for no limit");
}

export function checkBlkioWeight(n: number): number {
  return inRange(n, "blkio weight", n === 0 || (n >= 10 && n <= 1000), "must be between 10 and 1000 (0 = default)");
}

/** pids limit; 0 or a negative number means unlimited, which the spec writes as undefined. */
export function pidsLimitOrUndefined(n: number): number | undefined {
  return n > 0 ? n : undefined;
}

export function parseCpuset(s: string, what = "cpuset"): string {
  const t = s.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) {
    throw new SpecError(`invalid ${what} ${JSON.stringify(s)}: expected a list like 0-3,5`);
  }
  return t;
}

/** "/dev/sda:1mb" -> {path: "/dev/sda", rate: 1048576} (bytes per second). */
export function parseDeviceRate(s: string): { path: string; rate: number } {
  const colon = s.lastIndexOf(":");
  if (colon < 0) throw new SpecError(`invalid device rate ${JSON.stringify(s)}: expected /dev/DEVICE:RATE (e.g. /dev/sda:10mb)`);
  return makeDeviceRate(s.slice(0, colon), parseSize(s.slice(colon + 1)));
}

/** --device /dev/sdc[:/dev/xvdc][:rwm], as Docker parses it. */
export function parseDevice(s: string): DeviceMapping {
  const parts = s.split(":");
  const perms = (p: string) => /^[rwm]{1,3}$/.test(p) && new Set(p).size === p.length;
  let [hostPath, containerPath, permissions] = [parts[0]!, parts[0]!, "rwm"];
  if (parts.length === 2) {
    if (perms(parts[1]!)) permissions = parts[1]!;
    else containerPath = parts[1]!;
  } else if (parts.length === 3) {
    [containerPath, permissions] = [parts[1]!, parts[2]!];
  }
  if (parts.length > 3 || !perms(permissions)) throw new SpecError(`invalid device ${JSON.stringify(s)}: expected HOST_PATH[:CONTAINER_PATH][:PERMISSIONS], permissions a subset of rwm`);
  if (!hostPath.startsWith("/") || !containerPath.startsWith("/") || containerPath.split("/").includes(".."))
    throw new SpecError(`invalid device ${JSON.stringify(s)}: both paths must be absolute (e.g. /dev/sdc:/dev/xvdc)`);
  return { hostPath, containerPath, permissions };
}

export function makeDeviceRate(path: string, rate: number): { path: string; rate: number } {
  if (!path.startsWith("/dev/")) throw new SpecError(`invalid device ${JSON.stringify(path)}: expected a path under /dev/`);
  if (!Number.isSafeInteger(rate) || rate < 0) throw new SpecError(`invalid device rate ${rate} for ${path}: expected bytes per second`);
  return { path, rate };
}

/** A whole number parsed from text, then range-checked. */
export function parseChecked(s: string, what: string, check: (n: number) => number): number {
  return check(parseInteger(s, what));
}
