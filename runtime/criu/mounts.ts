// Mounts a container holds that come from outside it (bind mounts of host
// files and directories: volumes, /etc/hosts and friends from net/). CRIU
// cannot dump those; they are named to it as external (--ext-mount-map) at
// dump, by an id, and given a host source again at restore. Everything else
// (the container's own proc, sysfs, tmpfs /dev and the binds made from them,
// its cgroup mounts) CRIU dumps and restores itself.
import { readFileSync } from "node:fs";

export interface MountLine {
  dev: string;
  root: string;
  target: string;
  fstype: string;
}

export function parseMountinfo(text: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const f = line.split(" ");
    const sep = f.indexOf("-");
    const unescape = (s: string) => s.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    out.push({ dev: f[2]!, root: unescape(f[3]!), target: unescape(f[4]!), fstype: f[sep + 1]! });
  }
  return out;
}

/** Mount points (inside the container) of its bind mounts from host filesystems. */
export function externalMounts(lines: MountLine[]): string[] {
  // a filesystem the container mounted whole is its own; binds from it are too
  const own = new Set(lines.filter((l) => l.root === "/" && l.target !== "/").map((l) => l.dev));
  const seen = new Set<string>();
  for (const l of lines) {
    if (l.target === "/" || own.has(l.dev) || l.fstype === "cgroup" || l.fstype === "cgroup2") continue;
    seen.add(l.target);
  }
  return [...seen];
}

export function containerExternalMounts(pid: number): string[] {
  return externalMounts(parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, "utf8")));
}

/** The id a mount point is known by in the checkpoint (no ':' or '/': CRIU splits its options on ':'). */
export const mountKey = (target: string) => `ctr${target.replaceAll("/", "_").replaceAll(":", "_")}`;
