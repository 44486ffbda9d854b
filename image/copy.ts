// The fallback rootfs where overlayfs cannot be mounted (no overlay module,
// or an upper/work dir on a filesystem overlayfs refuses): each container
// gets its own copy of the image's layers, applied bottom first as overlayfs
// would show them (like Docker's vfs driver: slower to start, costs disk).
// A 0:0 character device in a layer deletes what is below it; an opaque
// directory (trusted.overlay.opaque=y) hides everything below it.
import { chmodSync, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { lgetxattr, llistxattr, lsetxattr } from "../runtime/sys/libc.ts";

function lstat(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Applies one layer directory onto the target rootfs. */
function applyLayer(src: string, dst: string, links: Map<string, string>): void {
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = lstatSync(s);
    const below = lstat(d);
    if (st.isCharacterDevice() && st.rdev === 0) {
      rmSync(d, { recursive: true, force: true }); // whiteout
      continue;
    }
    if (st.isDirectory()) {
      const opaque = lgetxattr(s, "trusted.overlay.opaque");
      if (below && (!below.isDirectory() || (opaque && new TextDecoder().decode(opaque) === "y"))) rmSync(d, { recursive: true, force: true });
      if (!lstat(d)) mkdirSync(d);
      applyLayer(s, d, links);
    } else {
      if (below) rmSync(d, { recursive: true, force: true });
      const key = `${st.dev}:${st.ino}`;
      if (st.isFile() && st.nlink > 1 && links.has(key)) {
        linkSync(links.get(key)!, d);
        continue;
      }
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else if (st.isFile()) {
        copyFileSync(s, d);
        if (st.nlink > 1) links.set(key, d);
      } else continue; // fifos and sockets: none of them matter in a rootfs copy
    }
    lchownSync(d, st.uid, st.gid);
    if (!st.isSymbolicLink()) {
      chmodSync(d, st.mode & 0o7777);
      // every attribute the layer's file has (capabilities, ACLs, user.*), not overlayfs's own
      for (const name of llistxattr(s)) {
        if (name.startsWith("trusted.overlay.")) continue;
        const v = lgetxattr(s, name);
        if (v) lsetxattr(d, name, v);
      }
    }
    lutimesSync(d, st.atime, st.mtime);
  }
}

/** layers bottom first. Returns the rootfs directory. */
export function copyLayers(containerDir: string, layers: string[]): string {
  const target = join(containerDir, "rootfs");
  mkdirSync(target, { recursive: true, mode: 0o755 });
  for (const l of layers) applyLayer(l, target, new Map());
  return target;
}
