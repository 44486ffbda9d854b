// Resolve a path inside a rootfs the way the container would see it: every
// symlink is followed relative to the rootfs, and ".." never climbs above it.
// Used where TypeScript reads the rootfs (/etc/passwd, workdir checks); the
// executor does its own resolution in the kernel with openat2(RESOLVE_IN_ROOT).
import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export function resolveInRoot(root: string, path: string, maxLinks = 40): string {
  const parts = path.split("/").filter((p) => p && p !== ".");
  const done: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const p = parts.shift()!;
    if (p === "..") {
      done.pop();
      continue;
    }
    const here = join(root, ...done, p);
    let st;
    try {
      st = lstatSync(here);
    } catch {
      done.push(p, ...parts);
      break; // does not exist (yet): the rest stays as written
    }
    if (st.isSymbolicLink()) {
      if (++links > maxLinks) throw new Error(`too many levels of symbolic links in ${path}`);
      const target = readlinkSync(here);
      if (target.startsWith("/")) done.length = 0;
      parts.unshift(...target.split("/").filter((x) => x && x !== "."));
      continue;
    }
    done.push(p);
  }
  return join(root, ...done);
}
