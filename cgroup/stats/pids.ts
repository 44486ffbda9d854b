// Tasks in a cgroup: pids.current (v1 and v2 alike).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function pidsCurrent(dir: string): number {
  return Number(readFileSync(join(dir, "pids.current"), "utf8").trim());
}
