// User-namespace id maps for --userns-remap: container ids 0..N-1 map to a
// host range read from /etc/subuid and /etc/subgid, as Docker's userns-remap
// does. "default" uses the entry for the user "ctr" when there is one, else
// the documented range 100000:65536 (nothing on a fresh host owns it).
import { readFileSync } from "node:fs";
import { EngineError } from "../errors.ts";

export const DEFAULT_REMAP_USER = "ctr";
export const DEFAULT_RANGE = { start: 100000, count: 65536 };

export interface IdRange {
  start: number;
  count: number;
}

function lookup(file: string, name: string): IdRange | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [user, start, count] = line.trim().split(":");
    if (user === name && start && count) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

export function remapRanges(remap: string, files = { uid: "/etc/subuid", gid: "/etc/subgid" }): { uid: IdRange; gid: IdRange } {
  const name = remap === "default" ? DEFAULT_REMAP_USER : remap;
  const uid = lookup(files.uid, name);
  const gid = lookup(files.gid, name);
  if (uid && gid) return { uid, gid };
  if (remap === "default") return { uid: DEFAULT_RANGE, gid: DEFAULT_RANGE };
  throw new EngineError(`userns-remap: no subordinate id range for user "${name}" in ${files.uid} and ${files.gid}`);
}

/** The text written to /proc/PID/uid_map and gid_map. */
export function mapText(r: { uid: IdRange; gid: IdRange }): { uid: string; gid: string } {
  return { uid: `0 ${r.uid.start} ${r.uid.count}\n`, gid: `0 ${r.gid.start} ${r.gid.count}\n` };
}
