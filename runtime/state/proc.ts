// Is a process the one we started? A pid alone can be reused; pid plus its
// start time (field 22 of /proc/PID/stat) names one process for good.
import { readFileSync, readlinkSync } from "node:fs";

export function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); field 22 is rest[19]
    if (rest[0] === "Z") return undefined; // a zombie is gone for our purposes
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined, starttime: number | undefined): boolean {
  if (!pid) return false;
  const st = procStartTime(pid);
  return st !== undefined && (starttime === undefined || starttime === 0 || st === starttime);
}

/** The target of a /proc symlink (e.g. "net:[4026531992]"), or undefined. */
export function procFile(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
